<?php
/**
 * The Subscriptions list.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

require_once __DIR__ . '/class-slbp-sidecar-billing-tables.php';

/**
 * Billing → Subscriptions, with Cancel and Resume row actions (each behind a confirmation screen).
 */
final class SLBP_Sidecar_Subscriptions_Table extends SLBP_Sidecar_Billing_Table {

	/** Statuses a cancellation applies to. */
	public const CANCELLABLE = array( 'active', 'on_trial', 'past_due', 'paused', 'unpaid' );

	/**
	 * Builds the table.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		parent::__construct( $admin, 'subscriptions' );
	}

	/** @return string */
	protected function route(): string {
		return '/subscriptions';
	}

	/** @return array<string, string> */
	protected function statuses(): array {
		$out = array();
		foreach ( array( 'active', 'on_trial', 'past_due', 'paused', 'unpaid', 'cancelled', 'expired' ) as $s ) {
			$out[ $s ] = SLBP_Sidecar_Format::status( $s );
		}
		return $out;
	}

	/** @return array<string, string> */
	public function get_columns() {
		return array(
			'subscription_id'   => __( 'Subscription', 'skylearn-billing-sidecar' ),
			'user'              => __( 'Customer', 'skylearn-billing-sidecar' ),
			'status'            => __( 'Status', 'skylearn-billing-sidecar' ),
			'amount'            => __( 'Amount', 'skylearn-billing-sidecar' ),
			'next_billing_date' => __( 'Next payment', 'skylearn-billing-sidecar' ),
			'expires_at'        => __( 'Ends', 'skylearn-billing-sidecar' ),
			'created_at'        => __( 'Started', 'skylearn-billing-sidecar' ),
			'gateway'           => __( 'Gateway', 'skylearn-billing-sidecar' ),
		);
	}

	/** @return array<string, array{0: string, 1: bool}> */
	protected function get_sortable_columns() {
		return array(
			'created_at'        => array( 'created_at', true ),
			'amount'            => array( 'amount', false ),
			'next_billing_date' => array( 'next_billing_date', false ),
		);
	}

	/** @return string */
	protected function get_default_primary_column_name() {
		return 'subscription_id';
	}

	/**
	 * Gateway id and plan, with the row actions.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_subscription_id( $item ) {
		$id      = (int) ( $item['id'] ?? 0 );
		$status  = (string) ( $item['status'] ?? '' );
		$actions = array();
		if ( in_array( $status, self::CANCELLABLE, true ) ) {
			$actions['cancel'] = sprintf( '<a href="%s">%s</a>', esc_url( SLBP_Sidecar_Admin::url( SLBP_Sidecar_Admin::SUBSCRIPTIONS, array( 'confirm' => 'cancel', 'subscription' => $id ) ) ), esc_html__( 'Cancel…', 'skylearn-billing-sidecar' ) );
		}
		if ( 'cancelled' === $status ) {
			$actions['resume'] = sprintf( '<a href="%s">%s</a>', esc_url( SLBP_Sidecar_Admin::url( SLBP_Sidecar_Admin::SUBSCRIPTIONS, array( 'confirm' => 'resume', 'subscription' => $id ) ) ), esc_html__( 'Resume…', 'skylearn-billing-sidecar' ) );
		}
		/* translators: 1: row id, 2: plan id, 3: billing cycle */
		$meta = sprintf( __( '#%1$d · plan %2$s · %3$s', 'skylearn-billing-sidecar' ), $id, (string) ( $item['plan_id'] ?? '' ), (string) ( $item['billing_cycle'] ?? '' ) );
		return sprintf( '<strong>%s</strong><br><span class="slbp-muted">%s</span>%s', esc_html( (string) ( $item['subscription_id'] ?? '' ) ), esc_html( $meta ), $this->row_actions( $actions ) );
	}

	/**
	 * Next payment date.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_next_billing_date( $item ) {
		return esc_html( SLBP_Sidecar_Format::datetime( $item['next_billing_date'] ?? null ) );
	}

	/**
	 * End of access (cancelled and expired subscriptions).
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_expires_at( $item ) {
		return esc_html( SLBP_Sidecar_Format::datetime( $item['expires_at'] ?? null ) );
	}
}
