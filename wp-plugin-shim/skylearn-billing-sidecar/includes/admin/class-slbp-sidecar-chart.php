<?php
/**
 * Server-rendered SVG charts: no script, no external files, readable by screen readers.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A line chart (one point per label) and a horizontal bar chart. Each is an `<svg role="img">`
 * named by its title and description; every point carries its value in a `<title>`. The pages
 * always print the same numbers in a table too.
 */
final class SLBP_Sidecar_Chart {

	private const WIDTH  = 640;
	private const HEIGHT = 240;
	private const LEFT   = 64;
	private const RIGHT  = 16;
	private const TOP    = 16;
	private const BOTTOM = 36;

	/**
	 * A round upper bound for the axis: 1, 2 or 5 times a power of ten.
	 *
	 * @param float $max Largest value.
	 * @return float
	 */
	private static function nice_max( float $max ): float {
		if ( $max <= 0 ) {
			return 1.0;
		}
		$power = 10 ** floor( log10( $max ) );
		foreach ( array( 1, 2, 5, 10 ) as $step ) {
			if ( $max <= $step * $power ) {
				return $step * $power;
			}
		}
		return 10 * $power;
	}

	/**
	 * Opening of the SVG with its accessible name and description.
	 *
	 * @param string $id    Unique id prefix.
	 * @param string $title Accessible name.
	 * @param string $desc  Description.
	 * @param int    $h     Height.
	 * @return string
	 */
	private static function open( string $id, string $title, string $desc, int $h ): string {
		return sprintf(
			'<svg class="slbp-chart" id="%1$s" viewBox="0 0 %2$d %3$d" role="img" aria-labelledby="%1$s-title %1$s-desc" preserveAspectRatio="xMidYMid meet"><title id="%1$s-title">%4$s</title><desc id="%1$s-desc">%5$s</desc>',
			esc_attr( $id ),
			self::WIDTH,
			$h,
			esc_html( $title ),
			esc_html( $desc )
		);
	}

	/**
	 * A line chart with one point per label.
	 *
	 * @param string   $id      Unique id prefix.
	 * @param string   $title   Accessible name.
	 * @param string   $desc    Description (what is measured, the period).
	 * @param string[] $labels  Axis labels, one per point.
	 * @param float[]  $values  Values, one per label.
	 * @param callable $format  Value → text, for the points' titles (the axis shows plain numbers).
	 * @param string[] $names   Full names of the labels for the points' titles (the labels when empty).
	 * @return string SVG markup.
	 */
	public static function line( string $id, string $title, string $desc, array $labels, array $values, callable $format, array $names = array() ): string {
		$n      = count( $values );
		$max    = self::nice_max( $n ? max( array_map( 'floatval', $values ) ) : 0.0 );
		$plot_w = self::WIDTH - self::LEFT - self::RIGHT;
		$plot_h = self::HEIGHT - self::TOP - self::BOTTOM;
		$x      = static fn( int $i ): float => self::LEFT + ( $n > 1 ? $plot_w * $i / ( $n - 1 ) : $plot_w / 2 );
		$y      = static fn( float $v ): float => self::TOP + $plot_h - ( $plot_h * max( 0.0, $v ) / $max );
		$svg    = self::open( $id, $title, $desc, self::HEIGHT );
		$svg   .= '<g class="slbp-chart__grid" aria-hidden="true">';
		for ( $i = 0; $i <= 4; $i++ ) {
			$value = $max * $i / 4;
			$gy    = $y( $value );
			$svg  .= sprintf( '<line x1="%1$d" x2="%2$d" y1="%3$.1f" y2="%3$.1f"></line><text x="%4$d" y="%5$.1f" text-anchor="end">%6$s</text>', self::LEFT, self::WIDTH - self::RIGHT, $gy, self::LEFT - 6, $gy + 4, esc_html( number_format_i18n( $value ) ) );
		}
		$svg .= '</g><g class="slbp-chart__labels" aria-hidden="true">';
		foreach ( $labels as $i => $label ) {
			$svg .= sprintf( '<text x="%.1f" y="%d" text-anchor="middle">%s</text>', $x( (int) $i ), self::HEIGHT - 12, esc_html( $label ) );
		}
		$points = array();
		foreach ( array_values( $values ) as $i => $v ) {
			$points[] = sprintf( '%.1f,%.1f', $x( $i ), $y( (float) $v ) );
		}
		$svg .= sprintf( '</g><polyline class="slbp-chart__line" points="%s"></polyline><g class="slbp-chart__points">', esc_attr( implode( ' ', $points ) ) );
		foreach ( array_values( $values ) as $i => $v ) {
			$svg .= sprintf(
				'<circle class="slbp-chart__point" cx="%.1f" cy="%.1f" r="4" data-value="%s"><title>%s</title></circle>',
				$x( $i ),
				$y( (float) $v ),
				esc_attr( (string) $v ),
				esc_html( ( $names[ $i ] ?? $labels[ $i ] ?? '' ) . ': ' . $format( (float) $v ) )
			);
		}
		return $svg . '</g></svg>';
	}

	/**
	 * A horizontal bar chart, one bar per label, with the value written beside each bar.
	 *
	 * @param string             $id     Unique id prefix.
	 * @param string             $title  Accessible name.
	 * @param string             $desc   Description.
	 * @param array<string, int> $values Label → value.
	 * @return string SVG markup.
	 */
	public static function bars( string $id, string $title, string $desc, array $values ): string {
		$row    = 28;
		$h      = self::TOP + count( $values ) * $row + 8;
		$label  = 150;
		$max    = max( 1, ...array_values( $values ?: array( 0 ) ) );
		$plot_w = self::WIDTH - $label - 80;
		$svg    = self::open( $id, $title, $desc, $h );
		$i      = 0;
		foreach ( $values as $name => $value ) {
			$top  = self::TOP + $i * $row;
			$w    = max( 1.0, $plot_w * $value / $max );
			$svg .= sprintf(
				'<g class="slbp-chart__bar"><text x="%1$d" y="%2$d" text-anchor="end">%3$s</text><rect x="%4$d" y="%5$d" width="%6$.1f" height="18" data-value="%7$d"><title>%3$s: %8$s</title></rect><text x="%9$.1f" y="%2$d">%8$s</text></g>',
				$label - 8,
				$top + 14,
				esc_html( (string) $name ),
				$label,
				$top,
				$w,
				(int) $value,
				esc_html( number_format_i18n( (int) $value ) ),
				$label + $w + 6
			);
			++$i;
		}
		return $svg . '</svg>';
	}
}
