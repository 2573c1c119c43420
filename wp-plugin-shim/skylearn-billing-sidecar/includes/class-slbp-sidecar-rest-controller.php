<?php
/**
 * REST routes that forward the plugin's namespace to the sidecar.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers `skylearn-billing-pro/v1` (index and every route below it) and the Lemon Squeezy
 * webhook, and forwards each request with the identity WordPress itself authenticated.
 */
final class SLBP_Sidecar_Rest_Controller {

	public const NAMESPACE = 'skylearn-billing-pro/v1';

	public const WEBHOOK_NAMESPACE = 'slbp/v1';
	public const WEBHOOK_ROUTE     = '/webhook/lemon_squeezy';

	/** Sidecar headers a REST client needs (pagination, rate limits, tracing). */
	private const PASSED_HEADERS = array(
		'x-wp-total'            => 'X-WP-Total',
		'x-wp-totalpages'       => 'X-WP-TotalPages',
		'link'                  => 'Link',
		'retry-after'           => 'Retry-After',
		'x-ratelimit-limit'     => 'X-RateLimit-Limit',
		'x-ratelimit-remaining' => 'X-RateLimit-Remaining',
		'x-ratelimit-reset'     => 'X-RateLimit-Reset',
		'x-request-id'          => 'X-Request-Id',
	);

	/** Request headers the sidecar needs besides the identity (the webhook's own signature). */
	private const FORWARDED_REQUEST_HEADERS = array(
		'x_signature'  => 'X-Signature',
		'x_event_name' => 'X-Event-Name',
		'x_request_id' => 'X-Request-Id',
	);

	/**
	 * Client for the sidecar.
	 *
	 * @var SLBP_Sidecar_Client
	 */
	private SLBP_Sidecar_Client $client;

	/**
	 * Raw (non-JSON) bodies to print verbatim, keyed by response object id.
	 *
	 * @var array<int, array{body: string, type: string}>
	 */
	private array $raw = array();

	/**
	 * Builds the controller.
	 *
	 * @param SLBP_Sidecar_Client $client Sidecar client.
	 */
	public function __construct( SLBP_Sidecar_Client $client ) {
		$this->client = $client;
	}

	/**
	 * Hooks the routes in.
	 *
	 * @return void
	 */
	public function register(): void {
		// Late, with override, so these win over the original plugin's same-named routes.
		add_action( 'rest_api_init', array( $this, 'register_routes' ), 99 );
		add_filter( 'rest_endpoints', array( $this, 'supersede_endpoints' ), 99 );
		add_filter( 'rest_pre_serve_request', array( $this, 'serve_raw' ), 10, 4 );
	}

	/**
	 * The route table entry used for every forwarded route.
	 *
	 * @return array<string, mixed>
	 */
	private function handler(): array {
		return array(
			'methods'             => WP_REST_Server::ALLMETHODS,
			'callback'            => array( $this, 'forward' ),
			'permission_callback' => array( $this, 'permission' ),
			'args'                => array(),
			'show_in_index'       => true,
		);
	}

	/**
	 * Registers the catch-all route and the webhook.
	 *
	 * @return void
	 */
	public function register_routes(): void {
		register_rest_route( self::NAMESPACE, '/(?P<slbp_route>.+)', array( $this->handler() ), true );
		register_rest_route( self::WEBHOOK_NAMESPACE, self::WEBHOOK_ROUTE, array( array_merge( $this->handler(), array( 'methods' => 'POST' ) ) ), true );
	}

	/**
	 * Leaves only the shim's handlers in its namespace: WordPress matches routes in registration
	 * order, so a specific route of the original plugin would otherwise shadow the catch-all.
	 * The namespace index itself is forwarded too, so it lists what the sidecar serves.
	 *
	 * @param array<string, mixed> $endpoints Route table.
	 * @return array<string, mixed>
	 */
	public function supersede_endpoints( array $endpoints ): array {
		$index    = '/' . self::NAMESPACE;
		$catchall = $index . '/(?P<slbp_route>.+)';
		foreach ( array_keys( $endpoints ) as $route ) {
			if ( 0 === strpos( (string) $route, $index . '/' ) && $route !== $catchall ) {
				unset( $endpoints[ $route ] );
			}
		}
		if ( isset( $endpoints[ $index ] ) ) {
			$endpoints[ $index ] = array(
				'namespace' => self::NAMESPACE,
				$this->handler(),
			);
		}
		return $endpoints;
	}

	/**
	 * Authorization is the sidecar's: it knows each route's rule and loads the user's roles from
	 * the database. WordPress has already authenticated the caller (or refused a bad credential)
	 * before this runs; here we only refuse what can never be forwarded.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return true|WP_Error
	 */
	public function permission( WP_REST_Request $request ) {
		if ( false !== strpos( $request->get_route(), '..' ) ) {
			return new WP_Error( 'rest_no_route', __( 'No route was found matching the URL and request method.' ), array( 'status' => 404 ) );
		}
		return true;
	}

	/**
	 * Forwards one request and mirrors the sidecar's answer.
	 *
	 * @param WP_REST_Request $request Incoming request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function forward( WP_REST_Request $request ) {
		$query = $request->get_query_params();
		// rest_route is how the request reached WordPress, _wpnonce is WordPress's cookie-auth
		// token: neither means anything to the sidecar.
		unset( $query['rest_route'], $query['_wpnonce'] );
		// WordPress hands over the decoded route; encode each segment so the signed target is a valid URL.
		$path = '/wp-json' . implode( '/', array_map( 'rawurlencode', explode( '/', $request->get_route() ) ) );
		$qs   = SLBP_Sidecar_Client::canonical_query( $query );
		if ( '' !== $qs ) {
			$path .= '?' . $qs;
		}

		$headers = array();
		$type    = (string) $request->get_header( 'content_type' );
		if ( '' !== $type ) {
			$headers['Content-Type'] = $type;
		}
		foreach ( self::FORWARDED_REQUEST_HEADERS as $key => $name ) {
			$value = $request->get_header( $key );
			if ( null !== $value && '' !== $value ) {
				$headers[ $name ] = $value;
			}
		}

		$user_id = get_current_user_id();
		$result  = $this->client->send( $request->get_method(), $path, (string) $request->get_body(), $user_id > 0 ? $user_id : null, $headers );
		if ( is_wp_error( $result ) ) {
			return $result;
		}

		$content_type = $result['headers']['content-type'] ?? '';
		$decoded      = null;
		$is_json      = false !== stripos( $content_type, 'json' );
		if ( $is_json ) {
			// Objects stay objects ({} must not come back as []).
			$decoded = json_decode( $result['body'] );
			$is_json = JSON_ERROR_NONE === json_last_error();
		}
		$response = new WP_REST_Response( $is_json ? $decoded : null, $result['status'] );
		foreach ( self::PASSED_HEADERS as $key => $name ) {
			if ( isset( $result['headers'][ $key ] ) ) {
				$response->header( $name, $result['headers'][ $key ] );
			}
		}
		if ( ! $is_json ) {
			$this->raw[ spl_object_id( $response ) ] = array(
				'body' => $result['body'],
				'type' => '' !== $content_type ? $content_type : 'text/plain; charset=UTF-8',
			);
		}
		return $response;
	}

	/**
	 * Prints a non-JSON sidecar answer (Prometheus text, ...) as it came, instead of letting
	 * WordPress JSON-encode it.
	 *
	 * @param bool             $served  Whether the request was already served.
	 * @param mixed            $result  Response about to be served.
	 * @param WP_REST_Request  $request Request.
	 * @param WP_REST_Server   $server  Server.
	 * @return bool
	 */
	public function serve_raw( $served, $result, $request, $server ) {
		if ( $served || ! $result instanceof WP_HTTP_Response || ! isset( $this->raw[ spl_object_id( $result ) ] ) ) {
			return $served;
		}
		$raw = $this->raw[ spl_object_id( $result ) ];
		$server->send_header( 'Content-Type', $raw['type'] );
		// phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- verbatim API body, not HTML.
		echo $raw['body'];
		return true;
	}
}
