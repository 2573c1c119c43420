<?php
/**
 * Settings → SkyLearn Sidecar: settings, the sidecar's health, and two operator buttons.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The admin page. Every sidecar call is signed as the current administrator, so the sidecar
 * applies its own rules; a route the sidecar does not have shows "not available".
 */
final class SLBP_Sidecar_Admin_Page {

	public const SLUG = 'slbp-sidecar';

	private const FLUSH_ACTION  = 'slbp_sidecar_flush_cache';
	private const BACKUP_ACTION = 'slbp_sidecar_backup_now';

	/**
	 * Sidecar settings.
	 *
	 * @var SLBP_Sidecar_Settings
	 */
	private SLBP_Sidecar_Settings $settings;

	/**
	 * Builds the page.
	 *
	 * @param SLBP_Sidecar_Settings $settings Sidecar settings.
	 */
	public function __construct( SLBP_Sidecar_Settings $settings ) {
		$this->settings = $settings;
	}

	/**
	 * Hooks the page, the setting and the button handlers.
	 *
	 * @return void
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'add_menu' ) );
		add_action( 'admin_init', array( $this, 'register_setting' ) );
		add_action( 'admin_post_' . self::FLUSH_ACTION, array( $this, 'handle_flush' ) );
		add_action( 'admin_post_' . self::BACKUP_ACTION, array( $this, 'handle_backup' ) );
	}

	/**
	 * Adds the page under Settings.
	 *
	 * @return void
	 */
	public function add_menu(): void {
		add_options_page( __( 'SkyLearn Billing Sidecar', 'skylearn-billing-sidecar' ), __( 'SkyLearn Sidecar', 'skylearn-billing-sidecar' ), 'manage_options', self::SLUG, array( $this, 'render' ) );
	}

	/**
	 * Registers the settings option (unused while wp-config.php constants are set).
	 *
	 * @return void
	 */
	public function register_setting(): void {
		register_setting( self::SLUG, SLBP_Sidecar_Settings::OPTION, array( 'type' => 'array', 'sanitize_callback' => array( SLBP_Sidecar_Settings::class, 'sanitize' ) ) );
	}

	/**
	 * Flush cache button: POST /cache/invalidate {"all": true}.
	 *
	 * @return void
	 */
	public function handle_flush(): void {
		$this->guard( self::FLUSH_ACTION );
		$result = $this->client()->json( 'POST', '/cache/invalidate', array( 'all' => true ), get_current_user_id() );
		$this->finish( $result, __( 'Cache flushed.', 'skylearn-billing-sidecar' ) );
	}

	/**
	 * Run backup now button: POST /backup/create?async=1 (the backup runs in the sidecar).
	 *
	 * @return void
	 */
	public function handle_backup(): void {
		$this->guard( self::BACKUP_ACTION );
		$result = $this->client()->json( 'POST', '/backup/create?async=1', array(), get_current_user_id() );
		$this->finish( $result, __( 'Backup started.', 'skylearn-billing-sidecar' ) );
	}

	/**
	 * Capability and nonce checks shared by the buttons.
	 *
	 * @param string $action Nonce action.
	 * @return void
	 */
	private function guard( string $action ): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to do that.', 'skylearn-billing-sidecar' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( $action );
		if ( ! $this->settings->is_configured() ) {
			$this->redirect( 'error', __( 'The sidecar is not configured.', 'skylearn-billing-sidecar' ) );
		}
	}

	/**
	 * Redirects back with the outcome of a button.
	 *
	 * @param array|WP_Error $result  Sidecar answer.
	 * @param string         $success Message on success.
	 * @return void
	 */
	private function finish( $result, string $success ): void {
		if ( is_wp_error( $result ) ) {
			$this->redirect( 'error', $result->get_error_message() );
		} elseif ( $result['status'] >= 200 && $result['status'] < 300 ) {
			$this->redirect( 'success', $success );
		} elseif ( 404 === $result['status'] ) {
			$this->redirect( 'error', __( 'Not available on this sidecar version.', 'skylearn-billing-sidecar' ) );
		}
		$message = is_array( $result['data'] ) && isset( $result['data']['message'] ) ? (string) $result['data']['message'] : 'HTTP ' . $result['status'];
		$this->redirect( 'error', $message );
	}

	/**
	 * Stores a one-time notice for this user and goes back to the page.
	 *
	 * @param string $type    success|error.
	 * @param string $message Text.
	 * @return void
	 */
	private function redirect( string $type, string $message ): void {
		set_transient( 'slbp_sidecar_notice_' . get_current_user_id(), array( 'type' => $type, 'message' => $message ), 60 );
		wp_safe_redirect( admin_url( 'options-general.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * The sidecar client.
	 *
	 * @return SLBP_Sidecar_Client
	 */
	private function client(): SLBP_Sidecar_Client {
		return new SLBP_Sidecar_Client( $this->settings );
	}

	/**
	 * Renders the page.
	 *
	 * @return void
	 */
	public function render(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap"><h1>' . esc_html__( 'SkyLearn Billing Sidecar', 'skylearn-billing-sidecar' ) . '</h1>';
		$key    = 'slbp_sidecar_notice_' . get_current_user_id();
		$notice = get_transient( $key );
		if ( is_array( $notice ) ) {
			delete_transient( $key );
			printf( '<div class="notice notice-%s"><p>%s</p></div>', 'success' === $notice['type'] ? 'success' : 'error', esc_html( (string) $notice['message'] ) );
		}
		if ( $this->settings->is_configured() ) {
			( new SLBP_Sidecar_Status_View( $this->client() ) )->render();
			echo '<h2>' . esc_html__( 'Actions', 'skylearn-billing-sidecar' ) . '</h2><p>';
			$this->button( self::FLUSH_ACTION, __( 'Flush cache', 'skylearn-billing-sidecar' ) );
			$this->button( self::BACKUP_ACTION, __( 'Run backup now', 'skylearn-billing-sidecar' ) );
			echo '</p>';
		}
		$this->render_settings();
		echo '</div>';
	}

	/**
	 * One button: a form posting to admin-post.php with a nonce.
	 *
	 * @param string $action Action name.
	 * @param string $label  Button label.
	 * @return void
	 */
	private function button( string $action, string $label ): void {
		printf( '<form method="post" action="%s" style="display:inline-block;margin-right:8px">', esc_url( admin_url( 'admin-post.php' ) ) );
		printf( '<input type="hidden" name="action" value="%s">', esc_attr( $action ) );
		wp_nonce_field( $action );
		submit_button( $label, 'secondary', 'submit', false );
		echo '</form>';
	}

	/**
	 * The settings form, or where the settings come from.
	 *
	 * @return void
	 */
	private function render_settings(): void {
		echo '<h2>' . esc_html__( 'Connection', 'skylearn-billing-sidecar' ) . '</h2>';
		if ( $this->settings->from_constants ) {
			printf(
				'<p>%s <code>%s</code> (%s)</p>',
				esc_html__( 'Configured in wp-config.php:', 'skylearn-billing-sidecar' ),
				esc_html( $this->settings->url ),
				/* translators: %s: timeout in seconds */
				esc_html( sprintf( __( 'timeout %s s', 'skylearn-billing-sidecar' ), (string) $this->settings->timeout ) )
			);
			return;
		}
		echo '<form method="post" action="options.php">';
		settings_fields( self::SLUG );
		$name = SLBP_Sidecar_Settings::OPTION;
		echo '<table class="form-table" role="presentation">';
		printf( '<tr><th><label for="slbp-url">%s</label></th><td><input id="slbp-url" class="regular-text" type="url" name="%s[url]" value="%s"></td></tr>', esc_html__( 'Sidecar URL', 'skylearn-billing-sidecar' ), esc_attr( $name ), esc_attr( $this->settings->url ) );
		printf( '<tr><th><label for="slbp-secret">%s</label></th><td><input id="slbp-secret" class="regular-text" type="password" name="%s[secret]" value="" autocomplete="new-password" placeholder="%s"></td></tr>', esc_html__( 'Shared secret', 'skylearn-billing-sidecar' ), esc_attr( $name ), esc_attr( '' !== $this->settings->secret ? __( '(unchanged)', 'skylearn-billing-sidecar' ) : '' ) );
		printf( '<tr><th><label for="slbp-timeout">%s</label></th><td><input id="slbp-timeout" class="small-text" type="number" step="0.5" min="0.5" max="30" name="%s[timeout]" value="%s"> s</td></tr>', esc_html__( 'Timeout', 'skylearn-billing-sidecar' ), esc_attr( $name ), esc_attr( (string) $this->settings->timeout ) );
		echo '</table>';
		submit_button();
		echo '</form>';
	}
}
