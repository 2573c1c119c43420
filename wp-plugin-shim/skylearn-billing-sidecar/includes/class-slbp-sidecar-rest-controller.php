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

	/** The plugin's integration webhooks, which the sidecar also serves (the plugin may be deactivated). */
	public const INTEGRATION_WEBHOOK_ROUTES = array( '/webhook', '/webhook/(?P<integration>[a-zA-Z0-9_-]+)' );

	/** The route that forwards whatever no described route matches. */
	private const CATCHALL = '/(?P<slbp_route>.+)';

	/** Query parameters WordPress consumes itself, never forwarded. */
	private const WORDPRESS_PARAMS = array( 'rest_route', '_wpnonce', '_envelope', '_embed', '_jsonp', '_method' );

	/** Request headers the sidecar needs besides the identity (the webhook's own signature). */
	private const FORWARDED_REQUEST_HEADERS = array(
		'x_signature'    => 'X-Signature',
		'x_event_name'   => 'X-Event-Name',
		'x_request_id'   => 'X-Request-Id',
		// The integration webhooks' key (the plugin's verify_webhook_permission).
		'x_slbp_api_key' => 'X-SLBP-API-Key',
	);

	/**
	 * Client for the sidecar.
	 *
	 * @var SLBP_Sidecar_Client
	 */
	private SLBP_Sidecar_Client $client;

	/**
	 * The sidecar's routes.
	 *
	 * @var SLBP_Sidecar_Route_Index
	 */
	private SLBP_Sidecar_Route_Index $index;

	/**
	 * The routes listed for the request being served (null: only the catch-all).
	 *
	 * @var array{routes: array<string, array{methods: string[], endpoints: array}>, complete: bool}|null
	 */
	private ?array $known = null;

	/**
	 * Builds the controller.
	 *
	 * @param SLBP_Sidecar_Client      $client Sidecar client.
	 * @param SLBP_Sidecar_Route_Index $index  The sidecar's routes.
	 */
	public function __construct( SLBP_Sidecar_Client $client, SLBP_Sidecar_Route_Index $index ) {
		$this->client = $client;
		$this->index  = $index;
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
		add_filter( 'rest_route_data', array( $this, 'describe_routes' ), 10, 1 );
		// Before core's OPTIONS handling (priority 10), which reads the route table.
		add_filter( 'rest_pre_dispatch', array( $this, 'prepare_request' ), 0, 3 );
		( new SLBP_Sidecar_Response_Output() )->register();
	}

	/**
	 * The route table entry used for every forwarded route.
	 *
	 * @param string $methods Comma-separated methods.
	 * @return array<string, mixed>
	 */
	private function handler( string $methods = WP_REST_Server::ALLMETHODS ): array {
		return array(
			'methods'             => $methods,
			'callback'            => array( $this, 'forward' ),
			'permission_callback' => array( $this, 'permission' ),
			'args'                => array(),
			'show_in_index'       => true,
		);
	}

	/**
	 * Registers the catch-all route and the webhooks.
	 *
	 * @return void
	 */
	public function register_routes(): void {
		register_rest_route( self::NAMESPACE, self::CATCHALL, array( $this->handler() ), true );
		register_rest_route( self::WEBHOOK_NAMESPACE, self::WEBHOOK_ROUTE, array( $this->handler( 'POST' ) ), true );
		foreach ( self::INTEGRATION_WEBHOOK_ROUTES as $route ) {
			register_rest_route( self::WEBHOOK_NAMESPACE, $route, array( $this->handler( 'POST' ) ), true );
		}
	}

	/**
	 * Learns which routes to list before WordPress matches the request: the REST index checks
	 * the sidecar's version (and learns the routes again when it changed), a request in the
	 * namespace uses the cached list, any other request needs none. A GET or HEAD in the
	 * namespace loses its body, which the sidecar never reads: WordPress must neither reject it
	 * as malformed JSON nor forward it.
	 *
	 * @param mixed           $result  Response to replace the requested one with (null to dispatch).
	 * @param WP_REST_Server  $server  Server.
	 * @param WP_REST_Request $request Request.
	 * @return mixed
	 */
	public function prepare_request( $result, $server, $request ) {
		if ( ! $request instanceof WP_REST_Request ) {
			return $result;
		}
		$route = $request->get_route();
		if ( '/' === $route ) {
			$this->known = $this->index->current();
		} elseif ( self::in_namespace( $route ) ) {
			$this->known = $this->index->cached();
			if ( in_array( $request->get_method(), array( 'GET', 'HEAD' ), true ) ) {
				$request->set_body( '' );
			}
		}
		return $result;
	}

	/**
	 * Whether a route is the namespace index or below it.
	 *
	 * @param string $route Route.
	 * @return bool
	 */
	private static function in_namespace( string $route ): bool {
		$index = '/' . self::NAMESPACE;
		return 0 === strcasecmp( rtrim( $route, '/' ), $index ) || 0 === stripos( $route, $index . '/' );
	}

	/**
	 * The namespace's part of the route table: the index and every route the sidecar described,
	 * each forwarded, then the catch-all. Any other plugin's handler in the namespace (the
	 * original plugin's routes) is dropped. WordPress tries routes in this order, so described
	 * routes match first; the catch-all forwards the rest (a route newer than the list, a wrong
	 * method, an unknown path) and is listed only while the routes are not (all) known.
	 *
	 * @param array<string, mixed> $endpoints Route table.
	 * @return array<string, mixed>
	 */
	public function supersede_endpoints( array $endpoints ): array {
		$index    = '/' . self::NAMESPACE;
		$catchall = $index . self::CATCHALL;
		if ( ! isset( $endpoints[ $catchall ] ) ) {
			// A listing of another namespace.
			return $endpoints;
		}
		foreach ( array_keys( $endpoints ) as $route ) {
			if ( 0 === strpos( (string) $route, $index . '/' ) ) {
				unset( $endpoints[ $route ] );
			}
		}
		if ( isset( $endpoints[ $index ] ) ) {
			$endpoints[ $index ] = array(
				'namespace' => self::NAMESPACE,
				$this->handler(),
			);
		}
		foreach ( $this->known['routes'] ?? array() as $route => $description ) {
			if ( $route !== $index ) {
				$endpoints[ $route ] = array(
					'namespace' => self::NAMESPACE,
					$this->handler( implode( ',', $description['methods'] ) ),
				);
			}
		}
		$handler                  = $this->handler();
		$handler['show_in_index'] = ! ( $this->known['complete'] ?? false );
		$endpoints[ $catchall ]   = array(
			'namespace' => self::NAMESPACE,
			$handler,
		);
		return $endpoints;
	}

	/**
	 * Describes the sidecar's routes in WordPress's indexes as the sidecar's own index does
	 * (methods, and each endpoint's args). WordPress validates none of these args: the sidecar
	 * does, and answers its own errors.
	 *
	 * @param array<string, array> $available Route data keyed by route.
	 * @return array<string, array>
	 */
	public function describe_routes( $available ) {
		if ( ! is_array( $available ) ) {
			return $available;
		}
		foreach ( $this->known['routes'] ?? array() as $route => $description ) {
			if ( isset( $available[ $route ] ) ) {
				$available[ $route ]['methods']   = $description['methods'];
				$available[ $route ]['endpoints'] = $description['endpoints'];
			}
		}
		return $available;
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
		// How the request reached WordPress (rest_route), its cookie-auth token (_wpnonce) and
		// what WordPress itself does around the answer (_envelope, _embed, _jsonp, the _method
		// override already applied) mean nothing to the sidecar. `_fields` is forwarded: the
		// sidecar applies it as core does, and core's pass over the result changes nothing.
		$query = array_diff_key( $request->get_query_params(), array_flip( self::WORDPRESS_PARAMS ) );
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
		return SLBP_Sidecar_Response::from_sidecar( $result );
	}
}
