<?php
/**
 * The one HTTP client the shim uses to talk to the sidecar.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Signs requests as docs/decisions/0004-shim-signature.md specifies and sends them with
 * wp_remote_request(); a transport failure becomes a WP_Error, never a PHP warning.
 */
final class SLBP_Sidecar_Client {

	/** Prefix of every path the sidecar serves for the plugin's namespace. */
	public const NAMESPACE_PATH = '/wp-json/skylearn-billing-pro/v1';

	/** User id that stands for WordPress itself (the sidecar's `system` caller). */
	public const SYSTEM_USER = 0;

	/**
	 * Where and how to reach the sidecar.
	 *
	 * @var SLBP_Sidecar_Settings
	 */
	private SLBP_Sidecar_Settings $settings;

	/**
	 * Builds the client.
	 *
	 * @param SLBP_Sidecar_Settings $settings Sidecar settings.
	 */
	public function __construct( SLBP_Sidecar_Settings $settings ) {
		$this->settings = $settings;
	}

	/**
	 * The configured timeout in seconds.
	 *
	 * @return float
	 */
	public function timeout(): float {
		return $this->settings->timeout;
	}

	/**
	 * The X-SLBP-* headers for one request. The string signed is
	 * METHOD \n path-with-query \n sha256-hex(body) \n timestamp \n nonce \n user-id,
	 * where path-with-query is byte for byte the request target sent to the sidecar.
	 *
	 * @param string   $method          HTTP method.
	 * @param string   $path_with_query Request target on the sidecar.
	 * @param string   $body            Raw body ('' when none).
	 * @param int      $user_id         WordPress user id, 0 for WordPress itself.
	 * @param int|null $timestamp       Unix time (now when null).
	 * @param string   $nonce           Nonce (random when empty).
	 * @return array<string, string>
	 */
	public function signed_headers( string $method, string $path_with_query, string $body, int $user_id, ?int $timestamp = null, string $nonce = '' ): array {
		$timestamp = (string) ( $timestamp ?? time() );
		$nonce     = '' !== $nonce ? $nonce : bin2hex( random_bytes( 16 ) );
		$to_sign   = implode(
			"\n",
			array( strtoupper( $method ), $path_with_query, hash( 'sha256', $body ), $timestamp, $nonce, (string) $user_id )
		);
		return array(
			'X-SLBP-User'      => (string) $user_id,
			'X-SLBP-Timestamp' => $timestamp,
			'X-SLBP-Nonce'     => $nonce,
			'X-SLBP-Signature' => hash_hmac( 'sha256', $to_sign, $this->settings->secret ),
		);
	}

	/**
	 * Query string in a canonical order (keys sorted, RFC 3986 encoding), so what is signed and
	 * what is sent are one string. Lists become `key%5B%5D=v` (`key[]`), which the sidecar reads
	 * like PHP does; brackets are percent-encoded because the HTTP API would encode them after
	 * signing otherwise.
	 *
	 * @param array<string, mixed> $params Query parameters.
	 * @return string Without the leading '?'; '' when there are none.
	 */
	public static function canonical_query( array $params ): string {
		$pairs = array();
		self::flatten( $params, '', $pairs );
		return implode( '&', $pairs );
	}

	/**
	 * Appends `name=value` pairs for a (possibly nested) parameter array.
	 *
	 * @param array<mixed> $params Parameters.
	 * @param string       $prefix Enclosing name ('' at the top level).
	 * @param string[]     $pairs  Output, by reference.
	 * @return void
	 */
	private static function flatten( array $params, string $prefix, array &$pairs ): void {
		$is_list = array_is_list( $params );
		if ( ! $is_list ) {
			ksort( $params, SORT_STRING );
		}
		foreach ( $params as $key => $value ) {
			$name = '' === $prefix ? rawurlencode( (string) $key ) : $prefix . ( $is_list ? '%5B%5D' : '%5B' . rawurlencode( (string) $key ) . '%5D' );
			if ( is_array( $value ) ) {
				self::flatten( $value, $name, $pairs );
			} elseif ( null !== $value ) {
				$pairs[] = $name . '=' . rawurlencode( is_bool( $value ) ? ( $value ? '1' : '0' ) : (string) $value );
			}
		}
	}

	/**
	 * Sends one signed request to the sidecar.
	 *
	 * @param string                $method          HTTP method.
	 * @param string                $path_with_query Request target, e.g. /wp-json/skylearn-billing-pro/v1/live?a=1.
	 * @param string                $body            Raw body.
	 * @param int|null              $user_id         Signed user id; null sends the request unsigned (anonymous).
	 * @param array<string, string> $headers         Extra headers (Content-Type, X-Signature, ...).
	 * @param float|null            $timeout         Seconds to wait; the configured timeout when null.
	 * @return array{status: int, body: string, headers: array<string, string>}|WP_Error
	 */
	public function send( string $method, string $path_with_query, string $body, ?int $user_id, array $headers = array(), ?float $timeout = null ) {
		$remote_addr = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
		if ( '' !== $remote_addr ) {
			// WordPress acts as a proxy: the visitor's address goes in X-Forwarded-For (which the
			// sidecar believes from a trusted proxy), so address allowlists such as
			// slbp_health_check_ips judge the visitor, not the WordPress host. A signed request
			// also carries X-SLBP-Client-IP (0004).
			$headers['X-Forwarded-For'] = $remote_addr;
			if ( null !== $user_id ) {
				$headers['X-SLBP-Client-IP'] = $remote_addr;
			}
		}
		if ( null !== $user_id ) {
			$headers = array_merge( $headers, $this->signed_headers( $method, $path_with_query, $body, $user_id ) );
		}
		$headers['Accept'] = 'application/json';

		$response = wp_remote_request(
			$this->settings->url . $path_with_query,
			array(
				'method'      => strtoupper( $method ),
				'headers'     => $headers,
				'body'        => '' === $body ? null : $body,
				'timeout'     => $timeout ?? $this->settings->timeout,
				'redirection' => 0,
				'user-agent'  => 'SkyLearnBillingSidecarShim/' . SLBP_SIDECAR_PLUGIN_VERSION . '; ' . home_url(),
			)
		);
		if ( is_wp_error( $response ) ) {
			return self::unavailable( $response );
		}

		$out = array();
		foreach ( wp_remote_retrieve_headers( $response ) as $name => $value ) {
			// Requests gives repeated headers as an array; HTTP allows joining them with commas.
			$out[ strtolower( (string) $name ) ] = is_array( $value ) ? implode( ', ', $value ) : (string) $value;
		}
		return array(
			'status'  => (int) wp_remote_retrieve_response_code( $response ),
			'body'    => (string) wp_remote_retrieve_body( $response ),
			'headers' => $out,
		);
	}

	/**
	 * A signed JSON call on a namespace route, for the admin page and cache hooks.
	 *
	 * @param string     $method  HTTP method.
	 * @param string     $route   Route under the namespace, with its query (e.g. '/alerts?status=active').
	 * @param array|null $payload JSON body, or null for none.
	 * @param int        $user_id Signed user id.
	 * @return array{status: int, data: mixed, body: string}|WP_Error
	 */
	public function json( string $method, string $route, ?array $payload, int $user_id ) {
		$body    = null === $payload ? '' : (string) wp_json_encode( $payload );
		$headers = null === $payload ? array() : array( 'Content-Type' => 'application/json' );
		$result  = $this->send( $method, self::NAMESPACE_PATH . $route, $body, $user_id, $headers );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		return array(
			'status' => $result['status'],
			'data'   => json_decode( $result['body'], true ),
			'body'   => $result['body'],
		);
	}

	/**
	 * The error answered when the sidecar cannot be reached: 504 for a timeout, 503 otherwise.
	 *
	 * @param WP_Error $error Transport error from the HTTP API.
	 * @return WP_Error
	 */
	private static function unavailable( WP_Error $error ): WP_Error {
		$message   = $error->get_error_message();
		$timed_out = false !== stripos( $message, 'timed out' ) || false !== stripos( $message, 'cURL error 28' );
		if ( defined( 'WP_DEBUG' ) && WP_DEBUG ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			error_log( 'SkyLearn Billing Sidecar: sidecar unreachable: ' . $message );
		}
		return new WP_Error(
			'slbp_sidecar_unavailable',
			$timed_out
				? __( 'The billing service did not answer in time.', 'skylearn-billing-sidecar' )
				: __( 'The billing service is unavailable.', 'skylearn-billing-sidecar' ),
			array( 'status' => $timed_out ? 504 : 503 )
		);
	}
}
