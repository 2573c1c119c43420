<?php
/**
 * Billing → API keys.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Create a key (shown once, in the answer to the form: it is never stored nor sent again), list
 * keys by fingerprint with their permissions and last use, revoke one.
 */
final class SLBP_Sidecar_Api_Keys_Page {

	public const CREATE_ACTION = 'slbp_api_key_create';

	/** Permissions a key may hold (the sidecar's list). */
	public const PERMISSIONS = array( 'read', 'write', 'admin', 'read_billing', 'write_billing', 'read_subscriptions', 'write_subscriptions', 'read_users', 'write_users', 'read_courses', 'write_courses', 'read_analytics', 'manage_webhooks' );

	/**
	 * Shared context.
	 *
	 * @var SLBP_Sidecar_Admin
	 */
	private SLBP_Sidecar_Admin $admin;

	/**
	 * The key just created and its record, to show once.
	 *
	 * @var array<string, mixed>|null
	 */
	private ?array $created = null;

	/**
	 * Why the key could not be created.
	 *
	 * @var WP_Error|null
	 */
	private ?WP_Error $error = null;

	/**
	 * What the form was sent with (kept when creation failed).
	 *
	 * @var array<string, mixed>
	 */
	private array $form = array();

	/**
	 * Builds the page.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		$this->admin = $admin;
	}

	/**
	 * Handles the create form (load-{page} hook): capability and nonce, then POST /api-keys.
	 *
	 * @return void
	 */
	public function load(): void {
		if ( ! isset( $_SERVER['REQUEST_METHOD'] ) || 'POST' !== $_SERVER['REQUEST_METHOD'] ) {
			return;
		}
		SLBP_Sidecar_Admin::guard( SLBP_Sidecar_Admin_Actions::nonce_action( self::CREATE_ACTION, '' ) );
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- checked by guard().
		$permissions = isset( $_POST['permissions'] ) && is_array( $_POST['permissions'] ) ? array_map( 'sanitize_key', wp_unslash( $_POST['permissions'] ) ) : array();
		$this->form  = array(
			'user'        => isset( $_POST['user'] ) ? sanitize_text_field( wp_unslash( $_POST['user'] ) ) : '',
			'name'        => isset( $_POST['name'] ) ? sanitize_text_field( wp_unslash( $_POST['name'] ) ) : '',
			'permissions' => array_values( array_intersect( self::PERMISSIONS, $permissions ) ),
			'rate_limit'  => isset( $_POST['rate_limit'] ) ? absint( $_POST['rate_limit'] ) : 1000,
			'expires_at'  => isset( $_POST['expires_at'] ) ? sanitize_text_field( wp_unslash( $_POST['expires_at'] ) ) : '',
		);
		// phpcs:enable
		$payload = $this->form;
		if ( '' === $payload['expires_at'] ) {
			unset( $payload['expires_at'] );
		}
		if ( ! $payload['permissions'] ) {
			$this->error = new WP_Error( 'slbp_no_permissions', __( 'Choose at least one permission.', 'skylearn-billing-sidecar' ) );
			return;
		}
		$data = SLBP_Sidecar_Admin::ok( $this->admin->call( 'POST', '/api-keys', array(), $payload ) );
		if ( is_wp_error( $data ) ) {
			$this->error = $data;
			return;
		}
		$this->created = $data;
		$this->form    = array();
		nocache_headers();
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
		require_once __DIR__ . '/class-slbp-sidecar-api-keys-table.php';
		echo '<div class="wrap slbp-billing"><h1 class="wp-heading-inline">' . esc_html__( 'API keys', 'skylearn-billing-sidecar' ) . '</h1><hr class="wp-header-end">';
		SLBP_Sidecar_Admin::notices();
		if ( null !== $this->error ) {
			/* translators: %s: reason */
			SLBP_Sidecar_Admin::notice( 'error', sprintf( __( 'The API key was not created: %s', 'skylearn-billing-sidecar' ), $this->error->get_error_message() ) );
		}
		if ( null !== $this->created ) {
			$this->show_once( $this->created );
		}
		$this->create_form();
		$table = new SLBP_Sidecar_Api_Keys_Table( $this->admin );
		$table->prepare_items();
		if ( null !== $table->error ) {
			SLBP_Sidecar_Admin::unavailable( $table->error );
		}
		echo '<h2>' . esc_html__( 'Keys', 'skylearn-billing-sidecar' ) . '</h2><form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '"><input type="hidden" name="page" value="' . esc_attr( SLBP_Sidecar_Admin::API_KEYS ) . '">';
		$table->display();
		echo '</form></div>';
	}

	/**
	 * The new key, once, with how to use it.
	 *
	 * @param array<string, mixed> $created `{key, api_key}`.
	 * @return void
	 */
	private function show_once( array $created ): void {
		echo '<div class="notice notice-success slbp-new-key" role="status"><p><strong>';
		/* translators: %s: API key name */
		echo esc_html( sprintf( __( 'API key “%s” created. Copy it now: it is not stored and will not be shown again.', 'skylearn-billing-sidecar' ), (string) ( $created['api_key']['name'] ?? '' ) ) );
		printf(
			'</strong></p><p><label for="slbp-new-key" class="screen-reader-text">%1$s</label><input type="text" id="slbp-new-key" class="large-text code" readonly value="%2$s"></p><p class="description">%3$s</p></div>',
			esc_html__( 'New API key', 'skylearn-billing-sidecar' ),
			esc_attr( (string) ( $created['key'] ?? '' ) ),
			esc_html__( 'Send it in the X-API-Key header (or Authorization: Bearer), never in a URL.', 'skylearn-billing-sidecar' )
		);
	}

	/**
	 * The create form, filled with what was sent when creation failed.
	 *
	 * @return void
	 */
	private function create_form(): void {
		$f = $this->form + array( 'user' => wp_get_current_user()->user_login, 'name' => '', 'permissions' => array( 'read' ), 'rate_limit' => 1000, 'expires_at' => '' );
		echo '<h2>' . esc_html__( 'Create a key', 'skylearn-billing-sidecar' ) . '</h2><form method="post" action="' . esc_url( SLBP_Sidecar_Admin::url( SLBP_Sidecar_Admin::API_KEYS ) ) . '" class="slbp-card">';
		wp_nonce_field( SLBP_Sidecar_Admin_Actions::nonce_action( self::CREATE_ACTION, '' ) );
		echo '<table class="form-table" role="presentation">';
		$this->row( 'slbp-key-name', __( 'Name', 'skylearn-billing-sidecar' ), sprintf( '<input type="text" id="slbp-key-name" name="name" class="regular-text" required maxlength="255" value="%s" aria-describedby="slbp-key-name-help"><p class="description" id="slbp-key-name-help">%s</p>', esc_attr( (string) $f['name'] ), esc_html__( 'What uses the key, e.g. “Reporting dashboard”.', 'skylearn-billing-sidecar' ) ) );
		$this->row( 'slbp-key-user', __( 'User', 'skylearn-billing-sidecar' ), sprintf( '<input type="text" id="slbp-key-user" name="user" class="regular-text" required value="%s" aria-describedby="slbp-key-user-help"><p class="description" id="slbp-key-user-help">%s</p>', esc_attr( (string) $f['user'] ), esc_html__( 'Login, email or id of the WordPress user the key acts as.', 'skylearn-billing-sidecar' ) ) );
		echo '<tr><th scope="row">' . esc_html__( 'Permissions', 'skylearn-billing-sidecar' ) . '</th><td><fieldset class="slbp-permissions"><legend class="screen-reader-text">' . esc_html__( 'Permissions', 'skylearn-billing-sidecar' ) . '</legend>';
		foreach ( self::PERMISSIONS as $p ) {
			printf( '<label for="slbp-perm-%1$s"><input type="checkbox" id="slbp-perm-%1$s" name="permissions[]" value="%1$s"%2$s> <code>%1$s</code></label> ', esc_attr( $p ), checked( in_array( $p, (array) $f['permissions'], true ), true, false ) );
		}
		echo '</fieldset></td></tr>';
		$this->row( 'slbp-key-rate', __( 'Requests per hour', 'skylearn-billing-sidecar' ), sprintf( '<input type="number" id="slbp-key-rate" name="rate_limit" class="small-text" min="1" max="1000000" value="%d">', (int) $f['rate_limit'] ) );
		$this->row( 'slbp-key-expires', __( 'Expires', 'skylearn-billing-sidecar' ), sprintf( '<input type="date" id="slbp-key-expires" name="expires_at" value="%s" aria-describedby="slbp-key-expires-help"><p class="description" id="slbp-key-expires-help">%s</p>', esc_attr( (string) $f['expires_at'] ), esc_html__( 'Leave empty for a key that does not expire. The key stops working at the end of that day (UTC).', 'skylearn-billing-sidecar' ) ) );
		echo '</table>';
		submit_button( __( 'Create API key', 'skylearn-billing-sidecar' ), 'primary', 'submit', false );
		echo '</form>';
	}

	/**
	 * One form row.
	 *
	 * @param string $id    Input id.
	 * @param string $label Label.
	 * @param string $field Field HTML (escaped by the caller).
	 * @return void
	 */
	private function row( string $id, string $label, string $field ): void {
		printf( '<tr><th scope="row"><label for="%s">%s</label></th><td>%s</td></tr>', esc_attr( $id ), esc_html( $label ), $field ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped by the caller.
	}
}
