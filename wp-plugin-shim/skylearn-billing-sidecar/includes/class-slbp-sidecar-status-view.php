<?php
/**
 * The status table of the admin page.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Reads /health/detailed, /metrics, /backup/list and /alerts from the sidecar (signed as the
 * current administrator) and renders what it found. A route the sidecar does not serve, or a
 * sidecar that does not answer, shows as "not available"; nothing here may raise a PHP notice.
 */
final class SLBP_Sidecar_Status_View {

	/**
	 * Client for the sidecar.
	 *
	 * @var SLBP_Sidecar_Client
	 */
	private SLBP_Sidecar_Client $client;

	/**
	 * Builds the view.
	 *
	 * @param SLBP_Sidecar_Client $client Sidecar client.
	 */
	public function __construct( SLBP_Sidecar_Client $client ) {
		$this->client = $client;
	}

	/**
	 * Fetches one route's JSON; null when unreachable or not a 2xx/503 JSON answer.
	 *
	 * @param string $route Route with query.
	 * @return array<string, mixed>|null
	 */
	private function fetch( string $route ): ?array {
		$result = $this->client->json( 'GET', $route, null, get_current_user_id() );
		if ( is_wp_error( $result ) || ! is_array( $result['data'] ) ) {
			return null;
		}
		// /health/detailed answers 503 with a full report when the sidecar is unhealthy.
		$ok = ( $result['status'] >= 200 && $result['status'] < 300 ) || ( 503 === $result['status'] && isset( $result['data']['status'] ) && ! isset( $result['data']['code'] ) );
		return $ok ? $result['data'] : null;
	}

	/**
	 * Cache hit ratio (0..1) from /health/detailed, else from the Prometheus gauge (percent).
	 *
	 * @param array<string, mixed>|null $health Detailed health.
	 * @return float|null
	 */
	private function hit_ratio( ?array $health ): ?float {
		$candidates = array(
			$health['performance_metrics']['cache_hit_ratio'] ?? null,
			$health['service_checks']['cache']['hit_ratio'] ?? null,
			$health['service_checks']['cache_layers']['hit_ratio'] ?? null,
		);
		foreach ( $candidates as $value ) {
			if ( is_numeric( $value ) ) {
				return (float) $value;
			}
		}
		$metrics = $this->client->send( 'GET', SLBP_Sidecar_Client::NAMESPACE_PATH . '/metrics', '', get_current_user_id() );
		if ( ! is_wp_error( $metrics ) && 200 === $metrics['status'] && preg_match( '/^slbp_performance_cache_hit_ratio(?:\{[^}]*\})?\s+([0-9.eE+-]+)\s*$/m', $metrics['body'], $m ) ) {
			return (float) $m[1] / 100;
		}
		return null;
	}

	/**
	 * Renders the table and the active alerts.
	 *
	 * @return void
	 */
	public function render(): void {
		$na      = __( 'not available', 'skylearn-billing-sidecar' );
		$health  = $this->fetch( '/health/detailed' );
		$ratio   = $this->hit_ratio( $health );
		$backups = $this->fetch( '/backup/list?per_page=1' );
		$alerts  = $this->fetch( '/alerts?status=active' );

		$last_backup = $na;
		if ( null !== $backups ) {
			$latest      = is_array( $backups['backups'] ?? null ) ? ( $backups['backups'][0] ?? null ) : null;
			$last_backup = is_array( $latest )
				? trim( (string) ( $latest['created_at'] ?? $latest['timestamp'] ?? '' ) . ' ' . (string) ( $latest['status'] ?? '' ) )
				: __( 'none yet', 'skylearn-billing-sidecar' );
		}

		$rows = array(
			'status'      => array( __( 'Health', 'skylearn-billing-sidecar' ), null !== $health ? (string) ( $health['status'] ?? $na ) : __( 'unreachable', 'skylearn-billing-sidecar' ) ),
			'version'     => array( __( 'Version', 'skylearn-billing-sidecar' ), (string) ( $health['version'] ?? $na ) ),
			'instance'    => array( __( 'Instance', 'skylearn-billing-sidecar' ), (string) ( $health['instance_id'] ?? $na ) ),
			'hit-ratio'   => array( __( 'Cache hit ratio', 'skylearn-billing-sidecar' ), null !== $ratio ? number_format_i18n( $ratio * 100, 1 ) . ' %' : $na ),
			'last-backup' => array( __( 'Last backup', 'skylearn-billing-sidecar' ), '' !== $last_backup ? $last_backup : $na ),
		);
		echo '<h2>' . esc_html__( 'Sidecar status', 'skylearn-billing-sidecar' ) . '</h2><table class="widefat striped" style="max-width:640px"><tbody>';
		foreach ( $rows as $id => $row ) {
			printf( '<tr><th scope="row">%s</th><td id="slbp-sidecar-%s">%s</td></tr>', esc_html( $row[0] ), esc_attr( $id ), esc_html( $row[1] ) );
		}
		echo '</tbody></table>';

		echo '<h2>' . esc_html__( 'Active alerts', 'skylearn-billing-sidecar' ) . '</h2><div id="slbp-sidecar-alerts">';
		if ( null === $alerts ) {
			echo '<p>' . esc_html( $na ) . '</p>';
		} elseif ( empty( $alerts['alerts'] ) || ! is_array( $alerts['alerts'] ) ) {
			echo '<p>' . esc_html__( 'No active alerts.', 'skylearn-billing-sidecar' ) . '</p>';
		} else {
			echo '<ul>';
			foreach ( $alerts['alerts'] as $alert ) {
				$alert = is_array( $alert ) ? $alert : array();
				printf( '<li><strong>%s</strong> %s</li>', esc_html( (string) ( $alert['severity'] ?? '' ) ), esc_html( (string) ( $alert['message'] ?? $alert['alert_type'] ?? '' ) ) );
			}
			echo '</ul>';
		}
		echo '</div>';
	}
}
