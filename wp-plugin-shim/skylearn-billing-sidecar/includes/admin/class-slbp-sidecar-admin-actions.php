<?php
/**
 * What the Billing pages' buttons and links do (admin-post.php handlers).
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Every state-changing action of the pages: capability first, then a nonce bound to the action and
 * the object it acts on, then one signed sidecar call; the outcome comes back as a notice.
 */
final class SLBP_Sidecar_Admin_Actions {

	public const BACKUP_CREATE   = 'slbp_backup_create';
	public const BACKUP_VERIFY   = 'slbp_backup_verify';
	public const BACKUP_DOWNLOAD = 'slbp_backup_download';
	public const BACKUP_RESTORE  = 'slbp_backup_restore';
	public const KEY_REVOKE      = 'slbp_api_key_revoke';

	/** Backup components the sidecar knows. */
	public const COMPONENTS = array( 'database', 'files', 'config' );

	/**
	 * Shared context.
	 *
	 * @var SLBP_Sidecar_Admin
	 */
	private SLBP_Sidecar_Admin $admin;

	/**
	 * Builds the handlers.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		$this->admin = $admin;
	}

	/**
	 * Hooks the handlers into admin-post.php.
	 *
	 * @return void
	 */
	public function register(): void {
		add_action( 'admin_post_' . SLBP_Sidecar_Billing_Pages::CANCEL_ACTION, array( $this, 'subscription_cancel' ) );
		add_action( 'admin_post_' . SLBP_Sidecar_Billing_Pages::RESUME_ACTION, array( $this, 'subscription_resume' ) );
		add_action( 'admin_post_' . self::BACKUP_CREATE, array( $this, 'backup_create' ) );
		add_action( 'admin_post_' . self::BACKUP_VERIFY, array( $this, 'backup_verify' ) );
		add_action( 'admin_post_' . self::BACKUP_DOWNLOAD, array( $this, 'backup_download' ) );
		add_action( 'admin_post_' . self::BACKUP_RESTORE, array( $this, 'backup_restore' ) );
		add_action( 'admin_post_' . self::KEY_REVOKE, array( $this, 'key_revoke' ) );
	}

	/**
	 * The nonce action of an action on one object.
	 *
	 * @param string     $action Action.
	 * @param string|int $object Object id ('' for none).
	 * @return string
	 */
	public static function nonce_action( string $action, $object ): string {
		return $action . ':' . $object;
	}

	/**
	 * A link that runs an action on one object (nonce included).
	 *
	 * @param string               $action Action.
	 * @param array<string, mixed> $args   Arguments; the first one names the object.
	 * @return string
	 */
	public static function link( string $action, array $args ): string {
		$url = add_query_arg( array_merge( array( 'action' => $action ), $args ), admin_url( 'admin-post.php' ) );
		return wp_nonce_url( $url, self::nonce_action( $action, (string) reset( $args ) ) );
	}

	/**
	 * A request parameter (POST, else GET), sanitized.
	 *
	 * @param string $name Name.
	 * @return string
	 */
	private static function param( string $name ): string {
		// phpcs:disable WordPress.Security.NonceVerification -- read after guard() checked the nonce.
		$value = $_POST[ $name ] ?? $_GET[ $name ] ?? '';
		// phpcs:enable
		return is_string( $value ) ? sanitize_text_field( wp_unslash( $value ) ) : '';
	}

	/**
	 * A backup id parameter, or '' when it is not one.
	 *
	 * @return string
	 */
	private static function backup_id(): string {
		$id = self::param( 'backup' );
		return preg_match( '/^backup_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_[A-Za-z0-9]{8}$/', $id ) ? $id : '';
	}

	/**
	 * Redirects to `$slug` with the outcome of a sidecar call.
	 *
	 * @param string                        $slug    Page.
	 * @param array<string, mixed>|WP_Error $result  call() result.
	 * @param callable                      $success Data → success message.
	 * @return void
	 */
	private static function finish( string $slug, $result, callable $success ): void {
		$data = SLBP_Sidecar_Admin::ok( $result );
		if ( is_wp_error( $data ) ) {
			SLBP_Sidecar_Admin::redirect( $slug, 'error', $data->get_error_message() );
		}
		SLBP_Sidecar_Admin::redirect( $slug, 'success', (string) $success( $data ) );
	}

	/**
	 * Cancel a subscription (POST from the confirmation screen).
	 *
	 * @return void
	 */
	public function subscription_cancel(): void {
		$this->subscription( 'cancel', SLBP_Sidecar_Billing_Pages::CANCEL_ACTION );
	}

	/**
	 * Resume a subscription (POST from the confirmation screen).
	 *
	 * @return void
	 */
	public function subscription_resume(): void {
		$this->subscription( 'resume', SLBP_Sidecar_Billing_Pages::RESUME_ACTION );
	}

	/**
	 * Cancel or resume.
	 *
	 * @param string $what   cancel|resume.
	 * @param string $action Action (and nonce) name.
	 * @return void
	 */
	private function subscription( string $what, string $action ): void {
		$id = absint( self::param( 'subscription' ) );
		SLBP_Sidecar_Admin::guard( self::nonce_action( $action, $id ) );
		$result = $this->admin->call( 'POST', '/subscriptions/' . $id . '/' . $what, array(), array(), $this->admin->slow_client() );
		self::finish(
			SLBP_Sidecar_Admin::SUBSCRIPTIONS,
			$result,
			static function ( array $sub ) use ( $what ): string {
				$synced = 'skipped' === ( $sub['gateway_sync'] ?? '' )
					? __( 'Lemon Squeezy was not called: no API key is set.', 'skylearn-billing-sidecar' )
					: __( 'Lemon Squeezy has it too.', 'skylearn-billing-sidecar' );
				/* translators: 1: gateway subscription id, 2: note on the gateway */
				$text = 'cancel' === $what ? __( 'Subscription %1$s cancelled. %2$s', 'skylearn-billing-sidecar' ) : __( 'Subscription %1$s resumed. %2$s', 'skylearn-billing-sidecar' );
				return sprintf( $text, (string) ( $sub['subscription_id'] ?? '' ), $synced );
			}
		);
	}

	/**
	 * Create a backup now (it runs in the sidecar; the list shows it in progress, then completed).
	 *
	 * @return void
	 */
	public function backup_create(): void {
		SLBP_Sidecar_Admin::guard( self::nonce_action( self::BACKUP_CREATE, '' ) );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked by guard().
		$asked      = isset( $_POST['components'] ) && is_array( $_POST['components'] ) ? array_map( 'sanitize_key', wp_unslash( $_POST['components'] ) ) : array();
		$components = array_values( array_intersect( self::COMPONENTS, $asked ) );
		if ( ! $components ) {
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', __( 'Choose at least one component to back up.', 'skylearn-billing-sidecar' ) );
		}
		$result = $this->admin->call( 'POST', '/backup/create', array( 'async' => '1' ), array( 'components' => $components ) );
		/* translators: %s: backup id */
		self::finish( SLBP_Sidecar_Admin::BACKUPS, $result, static fn( array $d ): string => sprintf( __( 'Backup %s started. It shows as completed here when it is done.', 'skylearn-billing-sidecar' ), (string) ( $d['backup_id'] ?? '' ) ) );
	}

	/**
	 * Re-hash a backup's files against its manifest.
	 *
	 * @return void
	 */
	public function backup_verify(): void {
		$id = self::backup_id();
		SLBP_Sidecar_Admin::guard( self::nonce_action( self::BACKUP_VERIFY, $id ) );
		$result = $this->admin->call( 'POST', '/backup/verify/' . $id, array(), array(), $this->admin->slow_client() );
		$data   = SLBP_Sidecar_Admin::ok( $result );
		if ( is_wp_error( $data ) ) {
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', $data->get_error_message() );
		}
		if ( 'verified' === ( $data['verification']['state'] ?? '' ) ) {
			/* translators: %s: backup id */
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'success', sprintf( __( 'Backup %s verified: every file matches its checksum.', 'skylearn-billing-sidecar' ), $id ) );
		}
		/* translators: %s: backup id */
		SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', sprintf( __( 'Backup %s does NOT match its checksums: do not restore it.', 'skylearn-billing-sidecar' ), $id ) );
	}

	/**
	 * Download one file of a backup, streamed through WordPress (never a public URL): the sidecar's
	 * answer goes to a private temporary file, is checked against the manifest's SHA-256, then sent.
	 *
	 * @return void
	 */
	public function backup_download(): void {
		$id        = self::backup_id();
		$component = sanitize_key( self::param( 'component' ) );
		SLBP_Sidecar_Admin::guard( self::nonce_action( self::BACKUP_DOWNLOAD, $id ) );
		if ( '' === $id || ! in_array( $component, self::COMPONENTS, true ) ) {
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', __( 'Unknown backup or component.', 'skylearn-billing-sidecar' ) );
		}
		( new SLBP_Sidecar_Backup_Download( $this->admin ) )->send( $id, $component );
	}

	/**
	 * Restore a backup, after the administrator typed the name of the database it overwrites.
	 *
	 * @return void
	 */
	public function backup_restore(): void {
		$id = self::backup_id();
		SLBP_Sidecar_Admin::guard( self::nonce_action( self::BACKUP_RESTORE, $id ) );
		$back = array( 'restore' => $id );
		$info = $this->admin->get( '/backup/' . $id );
		if ( is_wp_error( $info ) ) {
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', $info->get_error_message() );
		}
		$expected = SLBP_Sidecar_Backups_Page::database_of( (array) ( $info['backup_info'] ?? array() ) );
		if ( ! hash_equals( $expected, self::param( 'confirm_database' ) ) ) {
			/* translators: %s: database name */
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', sprintf( __( 'Nothing was restored: type the database name %s exactly to confirm.', 'skylearn-billing-sidecar' ), $expected ), $back );
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked by guard().
		$asked      = isset( $_POST['components'] ) && is_array( $_POST['components'] ) ? array_map( 'sanitize_key', wp_unslash( $_POST['components'] ) ) : array();
		$components = array_values( array_intersect( self::COMPONENTS, $asked ) );
		if ( ! $components ) {
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', __( 'Nothing was restored: choose at least one component.', 'skylearn-billing-sidecar' ), $back );
		}
		$result = $this->admin->call( 'POST', '/backup/restore/' . $id, array(), array( 'components' => $components ), $this->admin->slow_client() );
		self::finish(
			SLBP_Sidecar_Admin::BACKUPS,
			$result,
			/* translators: 1: backup id, 2: id of the safety backup taken first */
			static fn( array $d ): string => sprintf( __( 'Backup %1$s restored. The state before it was saved as backup %2$s.', 'skylearn-billing-sidecar' ), $id, (string) ( $d['restore_results']['safety_backup_id'] ?? '' ) )
		);
	}

	/**
	 * Revoke an API key.
	 *
	 * @return void
	 */
	public function key_revoke(): void {
		$id = absint( self::param( 'key' ) );
		SLBP_Sidecar_Admin::guard( self::nonce_action( self::KEY_REVOKE, $id ) );
		$result = $this->admin->call( 'DELETE', '/api-keys/' . $id );
		/* translators: %s: API key name */
		self::finish( SLBP_Sidecar_Admin::API_KEYS, $result, static fn( array $d ): string => sprintf( __( 'API key “%s” revoked: it is refused from now on.', 'skylearn-billing-sidecar' ), (string) ( $d['api_key']['name'] ?? '' ) ) );
	}
}
