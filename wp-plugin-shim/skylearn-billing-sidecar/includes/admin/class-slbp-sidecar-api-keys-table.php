<?php
/**
 * The API keys list.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

require_once __DIR__ . '/class-slbp-sidecar-list-table.php';

/**
 * Billing → API keys: owner, name, fingerprint, permissions, rate limit, last use, status; Revoke.
 */
final class SLBP_Sidecar_Api_Keys_Table extends SLBP_Sidecar_List_Table {

	/**
	 * Builds the table.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		parent::__construct( $admin, 'api-keys' );
	}

	/** @return string */
	protected function route(): string {
		return '/api-keys';
	}

	/** @return array<string, mixed> */
	protected function query(): ?array {
		return array();
	}

	/**
	 * The message of an empty list.
	 *
	 * @return void
	 */
	public function no_items() {
		if ( null === $this->error ) {
			esc_html_e( 'No API keys yet.', 'skylearn-billing-sidecar' );
			return;
		}
		parent::no_items();
	}

	/** @return array<string, string> */
	public function get_columns() {
		return array(
			'name'         => __( 'Name', 'skylearn-billing-sidecar' ),
			'user'         => __( 'User', 'skylearn-billing-sidecar' ),
			'fingerprint'  => __( 'Key (SHA-256 fingerprint)', 'skylearn-billing-sidecar' ),
			'permissions'  => __( 'Permissions', 'skylearn-billing-sidecar' ),
			'rate_limit'   => __( 'Requests per hour', 'skylearn-billing-sidecar' ),
			'last_used_at' => __( 'Last used', 'skylearn-billing-sidecar' ),
			'expires_at'   => __( 'Expires', 'skylearn-billing-sidecar' ),
			'status'       => __( 'Status', 'skylearn-billing-sidecar' ),
		);
	}

	/** @return string */
	protected function get_default_primary_column_name() {
		return 'name';
	}

	/**
	 * Name, with Revoke for an active key.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_name( $item ) {
		$actions = array();
		if ( 'revoked' !== ( $item['status'] ?? '' ) ) {
			$actions['delete'] = sprintf(
				'<a href="%s" aria-label="%s">%s</a>',
				esc_url( SLBP_Sidecar_Admin_Actions::link( SLBP_Sidecar_Admin_Actions::KEY_REVOKE, array( 'key' => (int) ( $item['id'] ?? 0 ) ) ) ),
				/* translators: %s: API key name */
				esc_attr( sprintf( __( 'Revoke the API key “%s”', 'skylearn-billing-sidecar' ), (string) ( $item['name'] ?? '' ) ) ),
				esc_html__( 'Revoke', 'skylearn-billing-sidecar' )
			);
		}
		return sprintf( '<strong>%s</strong> <span class="slbp-muted">#%d</span>%s', esc_html( (string) ( $item['name'] ?? '' ) ), (int) ( $item['id'] ?? 0 ), $this->row_actions( $actions ) );
	}

	/**
	 * The key's owner.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_user( $item ) {
		return SLBP_Sidecar_Format::user( (int) ( $item['user_id'] ?? 0 ), $this->users );
	}

	/**
	 * Fingerprint of the stored hash.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_fingerprint( $item ) {
		return '<code>' . esc_html( (string) ( $item['fingerprint'] ?? '' ) ) . '</code>';
	}

	/**
	 * Permissions.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_permissions( $item ) {
		return esc_html( implode( ', ', array_map( 'strval', (array) ( $item['permissions'] ?? array() ) ) ) );
	}

	/**
	 * Last use.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_last_used_at( $item ) {
		return empty( $item['last_used_at'] ) ? esc_html__( 'Never', 'skylearn-billing-sidecar' ) : esc_html( SLBP_Sidecar_Format::datetime( $item['last_used_at'] ) );
	}

	/**
	 * Expiry.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_expires_at( $item ) {
		return empty( $item['expires_at'] ) ? esc_html__( 'Never', 'skylearn-billing-sidecar' ) : esc_html( SLBP_Sidecar_Format::datetime( $item['expires_at'] ) );
	}

	/**
	 * Status.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_status( $item ) {
		$labels = array(
			'active'  => __( 'Active', 'skylearn-billing-sidecar' ),
			'revoked' => __( 'Revoked', 'skylearn-billing-sidecar' ),
			'expired' => __( 'Expired', 'skylearn-billing-sidecar' ),
		);
		$status = (string) ( $item['status'] ?? '' );
		return sprintf( '<span class="slbp-badge slbp-badge--%1$s">%2$s</span>', esc_attr( $status ), esc_html( $labels[ $status ] ?? $status ) );
	}
}
