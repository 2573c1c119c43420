<?php
/**
 * The sidecar's routes, learned from its namespace index, for WordPress's REST index.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Learns which routes the sidecar serves (GET /wp-json/skylearn-billing-pro/v1, shaped like
 * WordPress's namespace index) and keeps them in a transient for TTL seconds, tagged with the
 * sidecar's version (from /health): a request for WordPress's REST index checks the version and
 * learns the routes again when it changed. When the sidecar cannot be reached nothing is known
 * for RETRY_AFTER seconds and WordPress lists the catch-all instead.
 */
final class SLBP_Sidecar_Route_Index {

	/** Transient holding `{version, routes, complete}`, or `{version: '', routes: null}` after a failure. */
	public const TRANSIENT = 'slbp_sidecar_routes';

	/** Seconds a learned route list is kept. */
	public const TTL = 300;

	/** Seconds before asking again once the sidecar could not be reached. */
	public const RETRY_AFTER = 30;

	/** Seconds WordPress's index waits for the sidecar: the index must not hang on a stuck sidecar. */
	private const TIMEOUT = 2.0;

	/**
	 * The route keys the sidecar's index uses: literal segments and `(?P<name>[\d]+)` or
	 * `(?P<name>[\w.-]+)` parameters. Anything else is not described (the catch-all still
	 * forwards it), so no key can break WordPress's `@^...$@i` route matching.
	 */
	private const ROUTE_SHAPE = '#^/skylearn-billing-pro/v1(?:/(?:[A-Za-z0-9_.-]+|\(\?P<[A-Za-z_]\w*>\[(?:\\\\[dw]|\w|\.)+-?\]\+\)))*$#';

	/** Methods a route may be described with. */
	private const METHODS = array( 'GET', 'POST', 'PUT', 'PATCH', 'DELETE' );

	/**
	 * Client for the sidecar.
	 *
	 * @var SLBP_Sidecar_Client
	 */
	private SLBP_Sidecar_Client $client;

	/**
	 * Builds the index.
	 *
	 * @param SLBP_Sidecar_Client $client Sidecar client.
	 */
	public function __construct( SLBP_Sidecar_Client $client ) {
		$this->client = $client;
	}

	/**
	 * The routes as last learned, without asking the sidecar.
	 *
	 * @return array{routes: array<string, array{methods: string[], endpoints: array}>, complete: bool}|null
	 */
	public function cached(): ?array {
		$cached = get_transient( self::TRANSIENT );
		if ( ! is_array( $cached ) || ! isset( $cached['routes'], $cached['complete'] ) || ! is_array( $cached['routes'] ) ) {
			return null;
		}
		return array(
			'routes'   => $cached['routes'],
			'complete' => (bool) $cached['complete'],
		);
	}

	/**
	 * The routes for WordPress's REST index: the cached list while the sidecar's version is the
	 * one it was learned from, else learned again. Null while the sidecar cannot be reached.
	 *
	 * @return array{routes: array<string, array{methods: string[], endpoints: array}>, complete: bool}|null
	 */
	public function current(): ?array {
		$cached = get_transient( self::TRANSIENT );
		if ( is_array( $cached ) && array_key_exists( 'routes', $cached ) && null === $cached['routes'] ) {
			return null;
		}
		$version = $this->version();
		if ( null === $version ) {
			return $this->unreachable();
		}
		if ( is_array( $cached ) && ( $cached['version'] ?? null ) === $version ) {
			return $this->cached();
		}
		$learned = $this->learn();
		if ( null === $learned ) {
			return $this->unreachable();
		}
		set_transient( self::TRANSIENT, array( 'version' => $version ) + $learned, self::TTL );
		return $learned;
	}

	/**
	 * Remembers for RETRY_AFTER seconds that the sidecar could not be reached.
	 *
	 * @return null
	 */
	private function unreachable() {
		set_transient(
			self::TRANSIENT,
			array(
				'version' => '',
				'routes'  => null,
			),
			self::RETRY_AFTER
		);
		return null;
	}

	/**
	 * The sidecar's version, from its public /health (answered with the version even when unhealthy).
	 *
	 * @return string|null Null when the sidecar did not answer with one.
	 */
	private function version(): ?string {
		$data = $this->get( '/health' );
		return is_array( $data ) && isset( $data['version'] ) && is_string( $data['version'] ) ? $data['version'] : null;
	}

	/**
	 * The routes the sidecar's namespace index describes.
	 *
	 * @return array{routes: array<string, array{methods: string[], endpoints: array}>, complete: bool}|null
	 */
	private function learn(): ?array {
		$index = $this->get( '' );
		if ( ! is_array( $index ) || ! isset( $index['routes'] ) || ! is_array( $index['routes'] ) ) {
			self::debug_log( 'the namespace index has no routes' );
			return null;
		}
		$routes   = array();
		$complete = true;
		foreach ( $index['routes'] as $route => $description ) {
			$described = self::described( (string) $route, $description );
			if ( null === $described ) {
				self::debug_log( 'not describing route ' . $route );
				$complete = false;
				continue;
			}
			$routes[ (string) $route ] = $described;
		}
		return array(
			'routes'   => $routes,
			'complete' => $complete,
		);
	}

	/**
	 * One route of the sidecar's index as WordPress can list it: a key of the expected shape,
	 * methods WordPress knows, and a list of endpoints.
	 *
	 * @param string $route       Route key, e.g. /skylearn-billing-pro/v1/subscriptions/(?P<id>[\d]+).
	 * @param mixed  $description The index's entry for it.
	 * @return array{methods: string[], endpoints: array}|null Null when it cannot be listed.
	 */
	private static function described( string $route, $description ): ?array {
		if ( ! preg_match( self::ROUTE_SHAPE, $route ) || ! is_array( $description ) ) {
			return null;
		}
		$methods   = $description['methods'] ?? null;
		$endpoints = $description['endpoints'] ?? null;
		if ( ! is_array( $methods ) || array() === $methods || ! is_array( $endpoints ) || ! array_is_list( $endpoints ) ) {
			return null;
		}
		foreach ( $methods as $method ) {
			if ( ! in_array( $method, self::METHODS, true ) ) {
				return null;
			}
		}
		return array(
			'methods'   => array_values( $methods ),
			'endpoints' => $endpoints,
		);
	}

	/**
	 * A GET on a namespace route, as WordPress itself, decoded.
	 *
	 * @param string $route Route under the namespace ('' for the index).
	 * @return mixed Decoded JSON, or null when the sidecar did not answer JSON.
	 */
	private function get( string $route ) {
		$result = $this->client->send( 'GET', SLBP_Sidecar_Client::NAMESPACE_PATH . $route, '', SLBP_Sidecar_Client::SYSTEM_USER, array(), min( self::TIMEOUT, $this->client->timeout() ) );
		if ( is_wp_error( $result ) ) {
			return null;
		}
		$decoded = json_decode( $result['body'] );
		return JSON_ERROR_NONE === json_last_error() ? SLBP_Sidecar_Response::to_data( $decoded ) : null;
	}

	/**
	 * Logs why the routes are not (all) described, under WP_DEBUG only.
	 *
	 * @param string $message What happened.
	 * @return void
	 */
	private static function debug_log( string $message ): void {
		if ( defined( 'WP_DEBUG' ) && WP_DEBUG ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			error_log( 'SkyLearn Billing Sidecar: route index: ' . $message );
		}
	}
}
