<?php
/**
 * The Backups list.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

require_once __DIR__ . '/class-slbp-sidecar-list-table.php';

/**
 * Billing → Backups: size, components, status and verification, with Verify, Download and Restore.
 * GET /backup/list is not paged: every backup is on one page (retention keeps them few).
 */
final class SLBP_Sidecar_Backups_Table extends SLBP_Sidecar_List_Table {

	/**
	 * Builds the table.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		parent::__construct( $admin, 'backups' );
	}

	/** @return string */
	protected function route(): string {
		return '/backup/list';
	}

	/** @return array<string, mixed> */
	protected function query(): ?array {
		return array();
	}

	/**
	 * Reads the whole list (the route answers `{backups, total}`).
	 *
	 * @return void
	 */
	public function prepare_items() {
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'id' );
		$data                  = $this->admin->get( '/backup/list' );
		if ( is_wp_error( $data ) ) {
			$this->error = $data;
			$this->items = array();
			return;
		}
		$this->items = array_values( array_filter( (array) ( $data['backups'] ?? array() ), 'is_array' ) );
	}

	/**
	 * The message of an empty list.
	 *
	 * @return void
	 */
	public function no_items() {
		if ( null === $this->error ) {
			esc_html_e( 'No backups yet.', 'skylearn-billing-sidecar' );
			return;
		}
		parent::no_items();
	}

	/** @return array<string, string> */
	public function get_columns() {
		return array(
			'id'           => __( 'Backup', 'skylearn-billing-sidecar' ),
			'created_at'   => __( 'Created', 'skylearn-billing-sidecar' ),
			'components'   => __( 'Components', 'skylearn-billing-sidecar' ),
			'size'         => __( 'Size', 'skylearn-billing-sidecar' ),
			'status'       => __( 'Status', 'skylearn-billing-sidecar' ),
			'verification' => __( 'Verification', 'skylearn-billing-sidecar' ),
		);
	}

	/**
	 * Id and type, with Verify, Download and Restore for completed backups.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_id( $item ) {
		$id      = (string) ( $item['id'] ?? '' );
		$actions = array();
		if ( 'completed' === ( $item['status'] ?? '' ) ) {
			$actions['verify'] = sprintf( '<a href="%s">%s</a>', esc_url( SLBP_Sidecar_Admin_Actions::link( SLBP_Sidecar_Admin_Actions::BACKUP_VERIFY, array( 'backup' => $id ) ) ), esc_html__( 'Verify', 'skylearn-billing-sidecar' ) );
			foreach ( array_keys( (array) ( $item['files'] ?? array() ) ) as $component ) {
				$actions[ 'download-' . $component ] = sprintf(
					'<a href="%s">%s</a>',
					esc_url( SLBP_Sidecar_Admin_Actions::link( SLBP_Sidecar_Admin_Actions::BACKUP_DOWNLOAD, array( 'backup' => $id, 'component' => $component ) ) ),
					/* translators: %s: backup component (database, files, config) */
					esc_html( sprintf( __( 'Download %s', 'skylearn-billing-sidecar' ), $component ) )
				);
			}
			$actions['restore'] = sprintf( '<a href="%s">%s</a>', esc_url( SLBP_Sidecar_Admin::url( SLBP_Sidecar_Admin::BACKUPS, array( 'restore' => $id ) ) ), esc_html__( 'Restore…', 'skylearn-billing-sidecar' ) );
		}
		return sprintf( '<strong>%s</strong><br><span class="slbp-muted">%s</span>%s', esc_html( $id ), esc_html( (string) ( $item['type'] ?? '' ) ), $this->row_actions( $actions ) );
	}

	/**
	 * Creation time.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_created_at( $item ) {
		return esc_html( SLBP_Sidecar_Format::datetime( $item['created_at_gmt'] ?? $item['created_at'] ?? null ) );
	}

	/**
	 * Components.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_components( $item ) {
		return esc_html( implode( ', ', array_map( 'strval', (array) ( $item['components'] ?? array() ) ) ) );
	}

	/**
	 * Size.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_size( $item ) {
		return esc_html( SLBP_Sidecar_Format::size( $item['size'] ?? 0 ) );
	}

	/**
	 * Status (with the error of a failed backup).
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_status( $item ) {
		$out = SLBP_Sidecar_Format::badge( (string) ( $item['status'] ?? '' ) );
		return isset( $item['error'] ) ? $out . '<br><span class="slbp-muted">' . esc_html( (string) $item['error'] ) . '</span>' : $out;
	}

	/**
	 * Verification state and when.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_verification( $item ) {
		$v = (array) ( $item['verification'] ?? array() );
		if ( ! isset( $v['state'] ) ) {
			return '—';
		}
		$labels = array(
			'verified'   => __( 'Verified', 'skylearn-billing-sidecar' ),
			'failed'     => __( 'Checksum mismatch', 'skylearn-billing-sidecar' ),
			'unverified' => __( 'Not verified', 'skylearn-billing-sidecar' ),
		);
		$state  = (string) $v['state'];
		$when   = 'unverified' === $state ? '' : '<br><span class="slbp-muted">' . esc_html( SLBP_Sidecar_Format::datetime( $v['verified_at'] ?? null ) ) . '</span>';
		return sprintf( '<span class="slbp-badge slbp-badge--%1$s" data-state="%1$s">%2$s</span>%3$s', esc_attr( $state ), esc_html( $labels[ $state ] ?? $state ), $when );
	}
}
