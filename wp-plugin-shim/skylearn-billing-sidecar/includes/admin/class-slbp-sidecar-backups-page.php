<?php
/**
 * Billing → Backups.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The backup list (size, components, verification), a form to create one, and the restore
 * confirmation, which asks for the name of the database the restore overwrites.
 */
final class SLBP_Sidecar_Backups_Page {

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
	 * The database a restore of this backup overwrites: the one its manifest names, else this site's.
	 *
	 * @param array<string, mixed> $info backup_info (with its manifest).
	 * @return string
	 */
	public static function database_of( array $info ): string {
		$name = $info['manifest']['database']['name'] ?? null;
		return is_string( $name ) && '' !== $name ? $name : (string) DB_NAME;
	}

	/**
	 * Renders the list, or the restore confirmation.
	 *
	 * @return void
	 */
	public function render(): void {
		if ( ! current_user_can( SLBP_Sidecar_Admin::CAPABILITY ) ) {
			return;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- shows a confirmation form; the restore itself checks the nonce.
		$restore = isset( $_GET['restore'] ) ? sanitize_text_field( wp_unslash( $_GET['restore'] ) ) : '';
		echo '<div class="wrap slbp-billing">';
		if ( preg_match( '/^backup_[0-9_-]+_[A-Za-z0-9]{8}$/', $restore ) ) {
			$this->confirm_restore( $restore );
		} else {
			$this->list();
		}
		echo '</div>';
	}

	/**
	 * The create form and the list.
	 *
	 * @return void
	 */
	private function list(): void {
		require_once __DIR__ . '/class-slbp-sidecar-backups-table.php';
		echo '<h1 class="wp-heading-inline">' . esc_html__( 'Backups', 'skylearn-billing-sidecar' ) . '</h1><hr class="wp-header-end">';
		SLBP_Sidecar_Admin::notices();
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="slbp-card slbp-inline-form"><fieldset><legend class="slbp-legend">' . esc_html__( 'Create a backup now', 'skylearn-billing-sidecar' ) . '</legend>';
		printf( '<input type="hidden" name="action" value="%s">', esc_attr( SLBP_Sidecar_Admin_Actions::BACKUP_CREATE ) );
		wp_nonce_field( SLBP_Sidecar_Admin_Actions::nonce_action( SLBP_Sidecar_Admin_Actions::BACKUP_CREATE, '' ) );
		$this->components( array( 'database', 'config' ), 'slbp-create' );
		submit_button( __( 'Create backup', 'skylearn-billing-sidecar' ), 'primary', 'submit', false );
		echo '</fieldset></form>';
		$table = new SLBP_Sidecar_Backups_Table( $this->admin );
		$table->prepare_items();
		if ( null !== $table->error ) {
			SLBP_Sidecar_Admin::unavailable( $table->error );
		}
		$table->display();
	}

	/**
	 * Component checkboxes.
	 *
	 * @param string[] $checked   Checked components.
	 * @param string   $id_prefix Id prefix of the inputs.
	 * @param string[] $only      Components offered (all when empty).
	 * @return void
	 */
	private function components( array $checked, string $id_prefix, array $only = array() ): void {
		$labels = array(
			'database' => __( 'Database', 'skylearn-billing-sidecar' ),
			'files'    => __( 'Uploaded files', 'skylearn-billing-sidecar' ),
			'config'   => __( 'Plugin settings', 'skylearn-billing-sidecar' ),
		);
		foreach ( $labels as $c => $label ) {
			if ( $only && ! in_array( $c, $only, true ) ) {
				continue;
			}
			printf(
				'<label for="%1$s-%2$s" class="slbp-check"><input type="checkbox" id="%1$s-%2$s" name="components[]" value="%2$s"%3$s> %4$s</label> ',
				esc_attr( $id_prefix ),
				esc_attr( $c ),
				checked( in_array( $c, $checked, true ), true, false ),
				esc_html( $label )
			);
		}
	}

	/**
	 * The restore confirmation: what the backup holds, what it overwrites, and the typed name.
	 *
	 * @param string $id Backup id.
	 * @return void
	 */
	private function confirm_restore( string $id ): void {
		echo '<h1>' . esc_html__( 'Restore a backup', 'skylearn-billing-sidecar' ) . '</h1>';
		SLBP_Sidecar_Admin::notices();
		$data = $this->admin->get( '/backup/' . $id );
		if ( is_wp_error( $data ) ) {
			SLBP_Sidecar_Admin::unavailable( $data );
			return;
		}
		$info     = (array) ( $data['backup_info'] ?? array() );
		$database = self::database_of( $info );
		$parts    = array_keys( (array) ( $info['files'] ?? array() ) );
		printf(
			'<table class="form-table" role="presentation"><tr><th scope="row">%1$s</th><td><code>%2$s</code></td></tr><tr><th scope="row">%3$s</th><td>%4$s</td></tr><tr><th scope="row">%5$s</th><td>%6$s</td></tr><tr><th scope="row">%7$s</th><td><code id="slbp-restore-database">%8$s</code></td></tr></table>',
			esc_html__( 'Backup', 'skylearn-billing-sidecar' ),
			esc_html( $id ),
			esc_html__( 'Created', 'skylearn-billing-sidecar' ),
			esc_html( SLBP_Sidecar_Format::datetime( $info['created_at_gmt'] ?? $info['created_at'] ?? null ) ),
			esc_html__( 'Size', 'skylearn-billing-sidecar' ),
			esc_html( SLBP_Sidecar_Format::size( $info['size'] ?? 0 ) ),
			esc_html__( 'Database overwritten', 'skylearn-billing-sidecar' ),
			esc_html( $database )
		);
		echo '<div class="notice notice-warning inline"><p>' . esc_html__( 'Restoring replaces the live data of the chosen components with the backup’s. The sidecar checks every checksum first and saves the current state as a safety backup before it changes anything.', 'skylearn-billing-sidecar' ) . '</p></div>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		printf( '<input type="hidden" name="action" value="%s"><input type="hidden" name="backup" value="%s">', esc_attr( SLBP_Sidecar_Admin_Actions::BACKUP_RESTORE ), esc_attr( $id ) );
		wp_nonce_field( SLBP_Sidecar_Admin_Actions::nonce_action( SLBP_Sidecar_Admin_Actions::BACKUP_RESTORE, $id ) );
		echo '<fieldset class="slbp-field"><legend class="slbp-legend">' . esc_html__( 'Components to restore', 'skylearn-billing-sidecar' ) . '</legend>';
		$this->components( $parts, 'slbp-restore', $parts );
		echo '</fieldset>';
		printf(
			'<p class="slbp-field"><label for="slbp-confirm-database">%1$s</label><br><input type="text" id="slbp-confirm-database" name="confirm_database" class="regular-text" autocomplete="off" spellcheck="false" required aria-describedby="slbp-confirm-help"></p><p id="slbp-confirm-help" class="description">%2$s</p>',
			/* translators: %s: database name */
			esc_html( sprintf( __( 'Type %s to confirm', 'skylearn-billing-sidecar' ), $database ) ),
			esc_html__( 'The restore runs only when the name typed is exactly the database’s.', 'skylearn-billing-sidecar' )
		);
		submit_button( __( 'Restore this backup', 'skylearn-billing-sidecar' ), 'primary large slbp-danger', 'submit', false );
		printf( ' <a class="button button-large" href="%s">%s</a>', esc_url( SLBP_Sidecar_Admin::url( SLBP_Sidecar_Admin::BACKUPS ) ), esc_html__( 'Go back', 'skylearn-billing-sidecar' ) );
		echo '</form>';
	}
}
