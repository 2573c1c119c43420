<?php
/**
 * The Overview's charts and their tables.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Subscriptions by state and net revenue per month: each an SVG chart, then the same numbers in a table.
 */
final class SLBP_Sidecar_Overview_Charts {

	/**
	 * Subscriptions by state: a bar chart and the same counts in a table.
	 *
	 * @param array<string, mixed> $by_status Counts by status.
	 * @return void
	 */
	public static function subscriptions( array $by_status ): void {
		$counts = array();
		foreach ( SLBP_Sidecar_Overview_Page::states() as $status => $label ) {
			$counts[ $label ] = (int) ( $by_status[ $status ] ?? 0 );
		}
		foreach ( $by_status as $status => $n ) {
			if ( ! isset( SLBP_Sidecar_Overview_Page::states()[ $status ] ) && (int) $n > 0 ) {
				$counts[ SLBP_Sidecar_Format::status( (string) $status ) ] = (int) $n;
			}
		}
		echo '<h2 id="slbp-subs-heading">' . esc_html__( 'Subscriptions by state', 'skylearn-billing-sidecar' ) . '</h2><div class="slbp-chart-block">';
		echo SLBP_Sidecar_Chart::bars( 'slbp-chart-subscriptions', __( 'Subscriptions by state', 'skylearn-billing-sidecar' ), __( 'Number of subscriptions in each state; the same numbers are in the table that follows.', 'skylearn-billing-sidecar' ), $counts ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts.
		echo '<table class="widefat striped slbp-table-compact" id="slbp-subscriptions-by-state"><caption class="screen-reader-text">' . esc_html__( 'Subscriptions by state', 'skylearn-billing-sidecar' ) . '</caption><thead><tr><th scope="col">' . esc_html__( 'State', 'skylearn-billing-sidecar' ) . '</th><th scope="col">' . esc_html__( 'Subscriptions', 'skylearn-billing-sidecar' ) . '</th></tr></thead><tbody>';
		foreach ( $counts as $label => $n ) {
			printf( '<tr><th scope="row">%s</th><td data-value="%d">%s</td></tr>', esc_html( (string) $label ), (int) $n, esc_html( number_format_i18n( $n ) ) );
		}
		echo '</tbody></table></div>';
	}

	/**
	 * Net revenue per month over 12 months: one chart per currency, then the table of every value.
	 *
	 * @param array<int, mixed> $series     Months, oldest first.
	 * @param string[]          $currencies Currencies.
	 * @return void
	 */
	public static function year( array $series, array $currencies ): void {
		echo '<h2 id="slbp-year-heading">' . esc_html__( 'Net revenue, last 12 months', 'skylearn-billing-sidecar' ) . '</h2>';
		$labels = array();
		$names  = array();
		foreach ( $series as $m ) {
			$ts       = strtotime( (string) ( $m['month'] ?? '' ) . '-01 00:00:00 UTC' );
			$labels[] = false === $ts ? (string) ( $m['month'] ?? '' ) : (string) wp_date( 'M', $ts, new DateTimeZone( 'UTC' ) );
			$names[]  = false === $ts ? (string) ( $m['month'] ?? '' ) : (string) wp_date( 'F Y', $ts, new DateTimeZone( 'UTC' ) );
		}
		echo '<div class="slbp-charts">';
		foreach ( $currencies as $cur ) {
			$values = array_map( static fn( $m ): float => (float) ( $m['net'][ $cur ] ?? 0 ), $series );
			printf( '<figure class="slbp-chart-figure" data-currency="%s">', esc_attr( $cur ) );
			/* translators: %s: currency code */
			$title = sprintf( __( 'Net revenue per month in %s', 'skylearn-billing-sidecar' ), $cur );
			echo SLBP_Sidecar_Chart::line( 'slbp-chart-revenue-' . strtolower( $cur ), $title, __( 'One point per month, oldest first; the same numbers are in the table below.', 'skylearn-billing-sidecar' ), $labels, $values, static fn( float $v ): string => SLBP_Sidecar_Format::money( $v, $cur ), $names ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts.
			echo '<figcaption>' . esc_html( $title ) . '</figcaption></figure>';
		}
		echo '</div><div class="slbp-scroll"><table class="widefat striped" id="slbp-revenue-12m"><caption class="screen-reader-text">' . esc_html__( 'Net revenue per month and currency, last 12 months', 'skylearn-billing-sidecar' ) . '</caption><thead><tr><th scope="col">' . esc_html__( 'Month', 'skylearn-billing-sidecar' ) . '</th>';
		foreach ( $currencies as $cur ) {
			echo '<th scope="col">' . esc_html( $cur ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $series as $i => $m ) {
			printf( '<tr data-month="%s"><th scope="row">%s</th>', esc_attr( (string) ( $m['month'] ?? '' ) ), esc_html( $names[ $i ] ?? '' ) );
			foreach ( $currencies as $cur ) {
				$v = (float) ( $m['net'][ $cur ] ?? 0 );
				printf( '<td data-currency="%s" data-value="%s">%s</td>', esc_attr( $cur ), esc_attr( (string) $v ), esc_html( SLBP_Sidecar_Format::money( $v, $cur ) ) );
			}
			echo '</tr>';
		}
		echo '</tbody></table></div>';
	}
}
