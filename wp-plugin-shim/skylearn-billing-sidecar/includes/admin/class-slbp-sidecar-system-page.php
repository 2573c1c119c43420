<?php
/**
 * Billing → System, for operators.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * What GET /health/detailed reports, as it reports it: the overall state, every service check
 * (database, cache and Redis, nodes, replicas, pools, queue, backups, and any check a newer sidecar
 * adds) with its details, then the process's system information and performance figures.
 */
final class SLBP_Sidecar_System_Page {

	/** Checks shown first, in this order; any other check follows. */
	private const ORDER = array( 'database', 'cache', 'filesystem', 'nodes', 'cache_layers', 'replicas', 'database_pool', 'shards', 'background_processing', 'backups' );

	/**
	 * Shared context.
	 *
	 * @var SLBP_Sidecar_Admin
	 */
	private SLBP_Sidecar_Admin $admin;

	/**
	 * Builds the page.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		$this->admin = $admin;
	}

	/**
	 * Renders the page.
	 *
	 * @return void
	 */
	public function render(): void {
		if ( ! current_user_can( SLBP_Sidecar_Admin::CAPABILITY ) ) {
			return;
		}
		echo '<div class="wrap slbp-billing"><h1>' . esc_html__( 'System', 'skylearn-billing-sidecar' ) . '</h1>';
		printf( '<p><a href="%s">%s</a></p>', esc_url( admin_url( 'options-general.php?page=' . SLBP_Sidecar_Admin_Page::SLUG ) ), esc_html__( 'Connection settings, cache flush and a quick backup are under Settings → SkyLearn Sidecar.', 'skylearn-billing-sidecar' ) );
		$result = $this->admin->call( 'GET', '/health/detailed' );
		// An unhealthy sidecar answers 503 with the full report: show it.
		$health = ! is_wp_error( $result ) && 503 === $result['status'] && is_array( $result['data'] ) && isset( $result['data']['service_checks'] ) ? $result['data'] : SLBP_Sidecar_Admin::ok( $result );
		if ( is_wp_error( $health ) ) {
			SLBP_Sidecar_Admin::unavailable( $health );
			echo '</div>';
			return;
		}
		$status = (string) ( $health['status'] ?? '' );
		printf(
			'<p class="slbp-health">%1$s <span id="slbp-system-status" class="slbp-badge slbp-badge--%2$s">%3$s</span> <span class="slbp-muted">%4$s</span></p>',
			esc_html__( 'Today’s health:', 'skylearn-billing-sidecar' ),
			esc_attr( sanitize_html_class( $status ) ),
			esc_html( ucfirst( $status ) ),
			/* translators: 1: sidecar version, 2: node id, 3: date and time */
			esc_html( sprintf( __( 'version %1$s · answered by %2$s · %3$s', 'skylearn-billing-sidecar' ), (string) ( $health['version'] ?? '' ), (string) ( $health['instance_id'] ?? '' ), SLBP_Sidecar_Format::datetime( $health['timestamp'] ?? null ) ) )
		);
		$checks = (array) ( $health['service_checks'] ?? array() );
		$names  = array_merge( array_values( array_intersect( self::ORDER, array_keys( $checks ) ) ), array_values( array_diff( array_keys( $checks ), self::ORDER ) ) );
		echo '<h2 id="slbp-checks-heading">' . esc_html__( 'Checks', 'skylearn-billing-sidecar' ) . '</h2><div class="slbp-scroll"><table class="widefat striped" id="slbp-checks" aria-labelledby="slbp-checks-heading"><thead><tr><th scope="col">' . esc_html__( 'Check', 'skylearn-billing-sidecar' ) . '</th><th scope="col">' . esc_html__( 'State', 'skylearn-billing-sidecar' ) . '</th><th scope="col">' . esc_html__( 'Details', 'skylearn-billing-sidecar' ) . '</th></tr></thead><tbody>';
		foreach ( $names as $name ) {
			$check   = (array) $checks[ $name ];
			$healthy = ! empty( $check['healthy'] );
			unset( $check['healthy'] );
			$message = (string) ( $check['message'] ?? '' );
			unset( $check['message'] );
			printf(
				'<tr data-check="%1$s"><th scope="row">%2$s</th><td><span class="slbp-badge slbp-badge--%3$s">%4$s</span></td><td>%5$s%6$s</td></tr>',
				esc_attr( (string) $name ),
				esc_html( ucfirst( str_replace( '_', ' ', (string) $name ) ) ),
				$healthy ? 'healthy' : 'unhealthy',
				esc_html( $healthy ? __( 'OK', 'skylearn-billing-sidecar' ) : __( 'Problem', 'skylearn-billing-sidecar' ) ),
				'' !== $message ? '<p>' . esc_html( $message ) . '</p>' : '',
				self::details( $check ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in details().
			);
		}
		echo '</tbody></table></div>';
		foreach ( array( 'system_info' => __( 'System information', 'skylearn-billing-sidecar' ), 'performance_metrics' => __( 'Performance', 'skylearn-billing-sidecar' ) ) as $key => $title ) {
			printf( '<h2>%s</h2><div class="slbp-card" id="slbp-%s">%s</div>', esc_html( $title ), esc_attr( str_replace( '_', '-', $key ) ), self::details( (array) ( $health[ $key ] ?? array() ) ) ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in details().
		}
		echo '</div>';
	}

	/**
	 * A check's other fields as a definition list; nested values one level down, deeper ones as JSON.
	 *
	 * @param array<string, mixed> $fields Fields.
	 * @param int                  $depth  Nesting depth.
	 * @return string HTML.
	 */
	private static function details( array $fields, int $depth = 0 ): string {
		if ( ! $fields ) {
			return '';
		}
		$out = '<dl class="slbp-details">';
		foreach ( $fields as $key => $value ) {
			if ( is_array( $value ) && $depth < 1 && $value && ! array_is_list( $value ) ) {
				$text = self::details( $value, $depth + 1 );
			} elseif ( is_array( $value ) ) {
				$text = '<code>' . esc_html( (string) wp_json_encode( $value ) ) . '</code>';
			} elseif ( is_bool( $value ) ) {
				$text = esc_html( $value ? __( 'yes', 'skylearn-billing-sidecar' ) : __( 'no', 'skylearn-billing-sidecar' ) );
			} elseif ( null === $value ) {
				$text = '—';
			} else {
				$text = esc_html( is_float( $value ) ? number_format_i18n( $value, 2 ) : (string) $value );
			}
			$out .= '<dt>' . esc_html( str_replace( '_', ' ', (string) $key ) ) . '</dt><dd>' . $text . '</dd>';
		}
		return $out . '</dl>';
	}
}
