<?php
/**
 * The store owner's Billing pages: menu, shared functions, and the wiring of every page.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

require_once __DIR__ . '/class-slbp-sidecar-format.php';
require_once __DIR__ . '/class-slbp-sidecar-chart.php';
require_once __DIR__ . '/class-slbp-sidecar-overview-page.php';
require_once __DIR__ . '/class-slbp-sidecar-overview-charts.php';
require_once __DIR__ . '/class-slbp-sidecar-billing-pages.php';
require_once __DIR__ . '/class-slbp-sidecar-backups-page.php';
require_once __DIR__ . '/class-slbp-sidecar-api-keys-page.php';
require_once __DIR__ . '/class-slbp-sidecar-system-page.php';
require_once __DIR__ . '/class-slbp-sidecar-admin-actions.php';
require_once __DIR__ . '/class-slbp-sidecar-backup-download.php';
require_once __DIR__ . '/class-slbp-sidecar-dashboard-widget.php';
require_once __DIR__ . '/class-slbp-sidecar-privacy.php';

/**
 * Billing → Overview, Transactions, Subscriptions, Backups, API keys and System: a top-level menu,
 * or submenus of the original plugin's own menu when it is active. Every page reads the sidecar
 * through the signed client as the current user, so the sidecar applies its own rules too.
 */
final class SLBP_Sidecar_Admin {

	/** What every page and action requires. */
	public const CAPABILITY = 'manage_options';

	/** The original SkyLearn Billing Pro plugin's menu slug. */
	public const PLUGIN_MENU = 'skylearn-billing-pro';

	public const OVERVIEW      = 'slbp-billing';
	public const TRANSACTIONS  = 'slbp-billing-transactions';
	public const SUBSCRIPTIONS = 'slbp-billing-subscriptions';
	public const BACKUPS       = 'slbp-billing-backups';
	public const API_KEYS      = 'slbp-billing-api-keys';
	public const SYSTEM        = 'slbp-billing-system';

	/**
	 * Sidecar settings.
	 *
	 * @var SLBP_Sidecar_Settings
	 */
	public SLBP_Sidecar_Settings $settings;

	/**
	 * Sidecar client.
	 *
	 * @var SLBP_Sidecar_Client
	 */
	public SLBP_Sidecar_Client $client;

	/**
	 * Screen hook suffixes of the pages, for the stylesheet.
	 *
	 * @var string[]
	 */
	private array $hooks = array();

	/**
	 * Builds the pages' shared context.
	 *
	 * @param SLBP_Sidecar_Settings $settings Sidecar settings.
	 * @param SLBP_Sidecar_Client   $client   Sidecar client.
	 */
	public function __construct( SLBP_Sidecar_Settings $settings, SLBP_Sidecar_Client $client ) {
		$this->settings = $settings;
		$this->client   = $client;
	}

	/**
	 * Hooks the menu, the actions, the dashboard widget and the privacy tools.
	 *
	 * @return void
	 */
	public function register(): void {
		// After the original plugin's admin_menu callback (default priority), so its menu is known.
		add_action( 'admin_menu', array( $this, 'add_menu' ), 20 );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue' ) );
		( new SLBP_Sidecar_Admin_Actions( $this ) )->register();
		( new SLBP_Sidecar_Dashboard_Widget( $this ) )->register();
		( new SLBP_Sidecar_Privacy( $this ) )->register();
	}

	/**
	 * The Billing menu and its pages.
	 *
	 * @return void
	 */
	public function add_menu(): void {
		global $admin_page_hooks;
		$parent   = self::OVERVIEW;
		$overview = new SLBP_Sidecar_Overview_Page( $this );
		if ( ! empty( $admin_page_hooks[ self::PLUGIN_MENU ] ) ) {
			$parent        = self::PLUGIN_MENU;
			$this->hooks[] = (string) add_submenu_page( $parent, __( 'Billing overview', 'skylearn-billing-sidecar' ), __( 'Billing overview', 'skylearn-billing-sidecar' ), self::CAPABILITY, self::OVERVIEW, array( $overview, 'render' ) );
		} else {
			$this->hooks[] = (string) add_menu_page( __( 'Billing overview', 'skylearn-billing-sidecar' ), __( 'Billing', 'skylearn-billing-sidecar' ), self::CAPABILITY, self::OVERVIEW, array( $overview, 'render' ), 'dashicons-chart-area', 58 );
			$this->hooks[] = (string) add_submenu_page( $parent, __( 'Billing overview', 'skylearn-billing-sidecar' ), __( 'Overview', 'skylearn-billing-sidecar' ), self::CAPABILITY, self::OVERVIEW, array( $overview, 'render' ) );
		}
		$billing = new SLBP_Sidecar_Billing_Pages( $this );
		$backups = new SLBP_Sidecar_Backups_Page( $this );
		$keys    = new SLBP_Sidecar_Api_Keys_Page( $this );
		$system  = new SLBP_Sidecar_System_Page( $this );
		$pages   = array(
			array( self::TRANSACTIONS, __( 'Transactions', 'skylearn-billing-sidecar' ), array( $billing, 'render_transactions' ), null ),
			array( self::SUBSCRIPTIONS, __( 'Subscriptions', 'skylearn-billing-sidecar' ), array( $billing, 'render_subscriptions' ), null ),
			array( self::BACKUPS, __( 'Backups', 'skylearn-billing-sidecar' ), array( $backups, 'render' ), null ),
			array( self::API_KEYS, __( 'API keys', 'skylearn-billing-sidecar' ), array( $keys, 'render' ), array( $keys, 'load' ) ),
			array( self::SYSTEM, __( 'System', 'skylearn-billing-sidecar' ), array( $system, 'render' ), null ),
		);
		foreach ( $pages as list( $slug, $title, $render, $load ) ) {
			$hook          = (string) add_submenu_page( $parent, $title, $title, self::CAPABILITY, $slug, $render );
			$this->hooks[] = $hook;
			if ( null !== $load && '' !== $hook ) {
				add_action( 'load-' . $hook, $load );
			}
		}
	}

	/**
	 * The pages' stylesheet, on the pages only.
	 *
	 * @param string $hook Current screen's hook suffix.
	 * @return void
	 */
	public function enqueue( string $hook ): void {
		if ( in_array( $hook, $this->hooks, true ) || 'index.php' === $hook ) {
			wp_enqueue_style( 'slbp-sidecar-admin', plugins_url( 'assets/admin.css', dirname( __DIR__ ) ), array(), SLBP_SIDECAR_PLUGIN_VERSION );
		}
	}

	/**
	 * URL of one of the pages.
	 *
	 * @param string               $slug Page slug.
	 * @param array<string, mixed> $args Query arguments.
	 * @return string
	 */
	public static function url( string $slug, array $args = array() ): string {
		return add_query_arg( array_merge( array( 'page' => $slug ), $args ), admin_url( 'admin.php' ) );
	}

	/**
	 * One signed call on a namespace route as the current user.
	 *
	 * @param string                $method  HTTP method.
	 * @param string                $route   Route under the namespace, without query.
	 * @param array<string, mixed>  $query   Query parameters.
	 * @param array<mixed>|null     $payload JSON body.
	 * @param SLBP_Sidecar_Client   $client  Client (a longer-timeout one for slow actions), else the default.
	 * @return array{status: int, data: mixed, headers: array<string, string>}|WP_Error
	 */
	public function call( string $method, string $route, array $query = array(), ?array $payload = null, ?SLBP_Sidecar_Client $client = null ) {
		$qs      = SLBP_Sidecar_Client::canonical_query( $query );
		$body    = null === $payload ? '' : (string) wp_json_encode( (object) $payload );
		$headers = null === $payload ? array() : array( 'Content-Type' => 'application/json' );
		$result  = ( $client ?? $this->client )->send( $method, SLBP_Sidecar_Client::NAMESPACE_PATH . $route . ( '' !== $qs ? '?' . $qs : '' ), $body, get_current_user_id(), $headers );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		return array(
			'status'  => $result['status'],
			'data'    => json_decode( $result['body'], true ),
			'headers' => $result['headers'],
		);
	}

	/**
	 * The JSON answer of a GET, or a WP_Error carrying the sidecar's message.
	 *
	 * @param string               $route Route.
	 * @param array<string, mixed> $query Query parameters.
	 * @return array<string, mixed>|WP_Error
	 */
	public function get( string $route, array $query = array() ) {
		$result = $this->call( 'GET', $route, $query );
		return self::ok( $result );
	}

	/**
	 * The data of a 2xx answer (not `success: false`), or a WP_Error with the sidecar's (or the transport's) message.
	 *
	 * @param array<string, mixed>|WP_Error $result Result of call().
	 * @return array<mixed>|WP_Error
	 */
	public static function ok( $result ) {
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		// The plugin's routes answer some failures with 200 and `success: false` (a failed backup, an unknown backup id).
		if ( $result['status'] >= 200 && $result['status'] < 300 && is_array( $result['data'] ) && false !== ( $result['data']['success'] ?? null ) ) {
			return $result['data'];
		}
		$data = is_array( $result['data'] ) ? $result['data'] : array();
		/* translators: %d: HTTP status code */
		$message = isset( $data['message'] ) ? (string) $data['message'] : sprintf( __( 'The billing service answered HTTP %d.', 'skylearn-billing-sidecar' ), (int) $result['status'] );
		$params  = $data['data']['params'] ?? null;
		if ( is_array( $params ) && ! array_is_list( $params ) ) {
			$details = array();
			foreach ( $params as $name => $why ) {
				$details[] = $name . ': ' . ( is_scalar( $why ) ? (string) $why : (string) wp_json_encode( $why ) );
			}
			$message .= ' (' . implode( '; ', $details ) . ')';
		}
		return new WP_Error( isset( $data['code'] ) ? (string) $data['code'] : 'slbp_sidecar_error', $message, array( 'status' => $result['status'] ) );
	}

	/**
	 * A client for slow actions (backups, restores): the configured one, waiting up to two minutes.
	 *
	 * @return SLBP_Sidecar_Client
	 */
	public function slow_client(): SLBP_Sidecar_Client {
		$s = $this->settings;
		return new SLBP_Sidecar_Client( new SLBP_Sidecar_Settings( $s->url, $s->secret, max( $s->timeout, 120.0 ), $s->from_constants ) );
	}

	/**
	 * Refuses a request without the capability (403) or a valid nonce for `$action`.
	 *
	 * @param string $action Nonce action.
	 * @return void
	 */
	public static function guard( string $action ): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to do that.', 'skylearn-billing-sidecar' ), esc_html__( 'Forbidden', 'skylearn-billing-sidecar' ), array( 'response' => 403 ) );
		}
		check_admin_referer( $action );
	}

	/**
	 * Stores a one-time notice for this user and goes to a page.
	 *
	 * @param string               $slug    Page slug.
	 * @param string               $type    success|error|warning.
	 * @param string               $message Text.
	 * @param array<string, mixed> $args    Query arguments of the page.
	 * @return void
	 */
	public static function redirect( string $slug, string $type, string $message, array $args = array() ): void {
		set_transient( 'slbp_billing_notice_' . get_current_user_id(), array( 'type' => $type, 'message' => $message ), 120 );
		wp_safe_redirect( self::url( $slug, $args ) );
		exit;
	}

	/**
	 * Prints (once) the notice an action left for this user.
	 *
	 * @return void
	 */
	public static function notices(): void {
		$key    = 'slbp_billing_notice_' . get_current_user_id();
		$notice = get_transient( $key );
		if ( ! is_array( $notice ) ) {
			return;
		}
		delete_transient( $key );
		self::notice( (string) $notice['type'], (string) $notice['message'] );
	}

	/**
	 * One admin notice.
	 *
	 * @param string $type    success|error|warning|info.
	 * @param string $message Text (escaped here).
	 * @return void
	 */
	public static function notice( string $type, string $message ): void {
		$type = in_array( $type, array( 'success', 'error', 'warning', 'info' ), true ) ? $type : 'info';
		printf( '<div class="notice notice-%1$s slbp-notice" role="%2$s"><p>%3$s</p></div>', esc_attr( $type ), 'error' === $type ? 'alert' : 'status', esc_html( $message ) );
	}

	/**
	 * The sidecar's error, shown in place of a page's content.
	 *
	 * @param WP_Error $error Error.
	 * @return void
	 */
	public static function unavailable( WP_Error $error ): void {
		/* translators: %s: error message */
		self::notice( 'error', sprintf( __( 'The billing service could not be read: %s', 'skylearn-billing-sidecar' ), $error->get_error_message() ) );
	}
}
