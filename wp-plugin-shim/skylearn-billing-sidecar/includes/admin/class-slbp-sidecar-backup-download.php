<?php
/**
 * Sends one backup file to the browser through WordPress.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * GET /backup/download/{id} signed as the administrator, written by the HTTP API to a private
 * temporary file (never held in memory, never under a public URL), checked against the manifest's
 * SHA-256 the sidecar sends along, then streamed to the browser and deleted.
 */
final class SLBP_Sidecar_Backup_Download {

	/**
	 * Shared context.
	 *
	 * @var SLBP_Sidecar_Admin
	 */
	private SLBP_Sidecar_Admin $admin;

	/**
	 * Builds the download.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		$this->admin = $admin;
	}

	/**
	 * Fetches and sends the file, or goes back to the Backups page with the reason it could not.
	 *
	 * @param string $id        Backup id (validated).
	 * @param string $component Component (validated).
	 * @return void
	 */
	public function send( string $id, string $component ): void {
		$path = SLBP_Sidecar_Client::NAMESPACE_PATH . '/backup/download/' . rawurlencode( $id ) . '?' . SLBP_Sidecar_Client::canonical_query( array( 'component' => $component ) );
		$tmp  = wp_tempnam( $id . '-' . $component );
		// phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a private file: nobody else may read it.
		@chmod( $tmp, 0600 );
		$response = wp_remote_get(
			$this->admin->settings->url . $path,
			array(
				'headers'     => $this->admin->client->signed_headers( 'GET', $path, '', get_current_user_id() ) + array( 'Accept' => 'application/octet-stream' ),
				'timeout'     => max( $this->admin->settings->timeout, 300.0 ),
				'redirection' => 0,
				'stream'      => true,
				'filename'    => $tmp,
			)
		);
		$status = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
		if ( 200 !== $status ) {
			$message = is_wp_error( $response ) ? $response->get_error_message() : self::error_in( $tmp, $status );
			wp_delete_file( $tmp );
			/* translators: %s: reason */
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', sprintf( __( 'The backup could not be downloaded: %s', 'skylearn-billing-sidecar' ), $message ) );
		}
		$expected = (string) wp_remote_retrieve_header( $response, 'x-slbp-sha256' );
		if ( '' === $expected || ! hash_equals( $expected, (string) hash_file( 'sha256', $tmp ) ) ) {
			wp_delete_file( $tmp );
			SLBP_Sidecar_Admin::redirect( SLBP_Sidecar_Admin::BACKUPS, 'error', __( 'The backup could not be downloaded: the file received does not match its checksum.', 'skylearn-billing-sidecar' ) );
		}
		$name = self::file_name( $response, $id . '-' . $component );
		while ( ob_get_level() ) {
			ob_end_clean();
		}
		nocache_headers();
		header( 'Content-Type: application/octet-stream' );
		header( 'Content-Disposition: attachment; filename="' . $name . '"' );
		header( 'Content-Length: ' . (string) filesize( $tmp ) );
		header( 'X-Content-Type-Options: nosniff' );
		header( 'X-SLBP-SHA256: ' . $expected );
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_readfile -- streams a local temporary file.
		readfile( $tmp );
		wp_delete_file( $tmp );
		exit;
	}

	/**
	 * The file name the sidecar gave (backup id and archive name), when it is a plain one.
	 *
	 * @param array<string, mixed> $response HTTP API response.
	 * @param string               $fallback Name otherwise.
	 * @return string
	 */
	private static function file_name( $response, string $fallback ): string {
		$disposition = (string) wp_remote_retrieve_header( $response, 'content-disposition' );
		return preg_match( '/filename="([A-Za-z0-9._-]{1,200})"/', $disposition, $m ) ? $m[1] : sanitize_file_name( $fallback );
	}

	/**
	 * The sidecar's error message, read from the (small) JSON answer written to the file.
	 *
	 * @param string $file   Temporary file.
	 * @param int    $status HTTP status.
	 * @return string
	 */
	private static function error_in( string $file, int $status ): string {
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local temporary file.
		$body = (string) file_get_contents( $file, false, null, 0, 65536 );
		$data = json_decode( $body, true );
		/* translators: %d: HTTP status code */
		return is_array( $data ) && isset( $data['message'] ) ? (string) $data['message'] : sprintf( __( 'the billing service answered HTTP %d', 'skylearn-billing-sidecar' ), $status );
	}
}
