<?php
/**
 * How the Billing pages show money, dates, statuses and sizes.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Formatting shared by the pages; every string is translatable, nothing here escapes (callers do).
 */
final class SLBP_Sidecar_Format {

	/**
	 * `1,234.50 USD` in the site's number format.
	 *
	 * @param mixed  $amount   Amount (a number from the sidecar).
	 * @param string $currency ISO 4217 code.
	 * @return string
	 */
	public static function money( $amount, string $currency ): string {
		return trim( number_format_i18n( is_numeric( $amount ) ? (float) $amount : 0.0, 2 ) . ' ' . $currency );
	}

	/**
	 * An ISO 8601 UTC time in the site's date and time format and time zone; '—' when empty.
	 *
	 * @param mixed $iso ISO 8601 string or null.
	 * @return string
	 */
	public static function datetime( $iso ): string {
		$ts = is_string( $iso ) && '' !== $iso ? strtotime( $iso ) : false;
		if ( false === $ts ) {
			return '—';
		}
		return (string) wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $ts );
	}

	/**
	 * Bytes as "1.2 MB".
	 *
	 * @param mixed $bytes Size.
	 * @return string
	 */
	public static function size( $bytes ): string {
		return (string) size_format( is_numeric( $bytes ) ? (int) $bytes : 0, 1 );
	}

	/**
	 * Label of a transaction or subscription status.
	 *
	 * @param string $status Normalised status.
	 * @return string
	 */
	public static function status( string $status ): string {
		$labels = array(
			'pending'     => __( 'Pending', 'skylearn-billing-sidecar' ),
			'processing'  => __( 'Processing', 'skylearn-billing-sidecar' ),
			'completed'   => __( 'Completed', 'skylearn-billing-sidecar' ),
			'failed'      => __( 'Failed', 'skylearn-billing-sidecar' ),
			'refunded'    => __( 'Refunded', 'skylearn-billing-sidecar' ),
			'cancelled'   => __( 'Cancelled', 'skylearn-billing-sidecar' ),
			'active'      => __( 'Active', 'skylearn-billing-sidecar' ),
			'on_trial'    => __( 'On trial', 'skylearn-billing-sidecar' ),
			'past_due'    => __( 'Past due', 'skylearn-billing-sidecar' ),
			'paused'      => __( 'Paused', 'skylearn-billing-sidecar' ),
			'unpaid'      => __( 'Unpaid', 'skylearn-billing-sidecar' ),
			'expired'     => __( 'Expired', 'skylearn-billing-sidecar' ),
			'in_progress' => __( 'In progress', 'skylearn-billing-sidecar' ),
		);
		return $labels[ $status ] ?? ucfirst( str_replace( '_', ' ', $status ) );
	}

	/**
	 * A status as a badge: the word is always there, colour only repeats it.
	 *
	 * @param string $status Status.
	 * @return string HTML.
	 */
	public static function badge( string $status ): string {
		return sprintf( '<span class="slbp-badge slbp-badge--%1$s">%2$s</span>', esc_attr( sanitize_html_class( $status ) ), esc_html( self::status( $status ) ) );
	}

	/**
	 * Gateway label.
	 *
	 * @param string $gateway Gateway id.
	 * @return string
	 */
	public static function gateway( string $gateway ): string {
		return 'lemon_squeezy' === $gateway ? 'Lemon Squeezy' : ucwords( str_replace( '_', ' ', $gateway ) );
	}

	/**
	 * The owner of a billing row: a link to the WordPress user, or what stands in for them.
	 *
	 * @param int                    $user_id User id (0 after a personal data erasure).
	 * @param array<int, WP_User>    $users   Users loaded for the page, by id.
	 * @return string HTML.
	 */
	public static function user( int $user_id, array $users ): string {
		if ( 0 === $user_id ) {
			return '<em>' . esc_html__( 'Anonymised', 'skylearn-billing-sidecar' ) . '</em>';
		}
		if ( ! isset( $users[ $user_id ] ) ) {
			/* translators: %d: user id */
			return esc_html( sprintf( __( 'Deleted user #%d', 'skylearn-billing-sidecar' ), $user_id ) );
		}
		$user = $users[ $user_id ];
		$link = get_edit_user_link( $user_id );
		$name = '' !== $user->display_name ? $user->display_name : $user->user_login;
		$text = sprintf( '%s <span class="slbp-muted">%s</span>', esc_html( $name ), esc_html( $user->user_email ) );
		return '' !== $link ? sprintf( '<a href="%s">%s</a>', esc_url( $link ), $text ) : $text;
	}

	/**
	 * The WordPress users of some rows, by id, in one query.
	 *
	 * @param array<int, array<string, mixed>> $rows Rows with `user_id`.
	 * @return array<int, WP_User>
	 */
	public static function users_of( array $rows ): array {
		$ids = array_values( array_unique( array_filter( array_map( static fn( $r ) => (int) ( $r['user_id'] ?? 0 ), $rows ) ) ) );
		if ( ! $ids ) {
			return array();
		}
		$out = array();
		foreach ( get_users( array( 'include' => $ids, 'count_total' => false ) ) as $user ) {
			$out[ (int) $user->ID ] = $user;
		}
		return $out;
	}
}
