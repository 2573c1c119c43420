<?php
/**
 * Billing → Transactions and Subscriptions.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The two billing lists, and the confirmation screen of a subscription's Cancel or Resume.
 */
final class SLBP_Sidecar_Billing_Pages {

	public const CANCEL_ACTION = 'slbp_subscription_cancel';
	public const RESUME_ACTION = 'slbp_subscription_resume';

	/**
	 * Shared context.
	 *
	 * @var SLBP_Sidecar_Admin
	 */
	private SLBP_Sidecar_Admin $admin;

	/**
	 * Builds the pages.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		$this->admin = $admin;
	}

	/**
	 * Billing → Transactions.
	 *
	 * @return void
	 */
	public function render_transactions(): void {
		require_once __DIR__ . '/class-slbp-sidecar-billing-tables.php';
		$this->list_page( new SLBP_Sidecar_Transactions_Table( $this->admin ), SLBP_Sidecar_Admin::TRANSACTIONS, __( 'Transactions', 'skylearn-billing-sidecar' ), __( 'Search by email or order', 'skylearn-billing-sidecar' ) );
	}

	/**
	 * Billing → Subscriptions (or the confirmation of a Cancel / Resume).
	 *
	 * @return void
	 */
	public function render_subscriptions(): void {
		require_once __DIR__ . '/class-slbp-sidecar-subscriptions-table.php';
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- shows a confirmation form; the action itself checks the nonce.
		$confirm = isset( $_GET['confirm'] ) ? sanitize_key( wp_unslash( $_GET['confirm'] ) ) : '';
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$id = isset( $_GET['subscription'] ) ? absint( $_GET['subscription'] ) : 0;
		if ( in_array( $confirm, array( 'cancel', 'resume' ), true ) && $id > 0 && current_user_can( SLBP_Sidecar_Admin::CAPABILITY ) ) {
			$this->confirm( $confirm, $id );
			return;
		}
		$this->list_page( new SLBP_Sidecar_Subscriptions_Table( $this->admin ), SLBP_Sidecar_Admin::SUBSCRIPTIONS, __( 'Subscriptions', 'skylearn-billing-sidecar' ), __( 'Search by email or subscription', 'skylearn-billing-sidecar' ) );
	}

	/**
	 * A list page: title, notices, the search box and the table in one GET form.
	 *
	 * @param SLBP_Sidecar_List_Table $table  Table.
	 * @param string                  $slug   Page slug.
	 * @param string                  $title  Page title.
	 * @param string                  $search Search button text.
	 * @return void
	 */
	private function list_page( SLBP_Sidecar_List_Table $table, string $slug, string $title, string $search ): void {
		if ( ! current_user_can( SLBP_Sidecar_Admin::CAPABILITY ) ) {
			return;
		}
		$table->prepare_items();
		echo '<div class="wrap slbp-billing"><h1 class="wp-heading-inline">' . esc_html( $title ) . '</h1><hr class="wp-header-end">';
		SLBP_Sidecar_Admin::notices();
		if ( null !== $table->error ) {
			SLBP_Sidecar_Admin::unavailable( $table->error );
		}
		echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '"><input type="hidden" name="page" value="' . esc_attr( $slug ) . '">';
		$table->search_box( $search, $slug );
		$table->display();
		echo '</form></div>';
	}

	/**
	 * The confirmation screen: what will happen, a nonce-protected form, and a way back.
	 *
	 * @param string $what cancel|resume.
	 * @param int    $id   Subscription row id.
	 * @return void
	 */
	private function confirm( string $what, int $id ): void {
		echo '<div class="wrap slbp-billing">';
		$sub = $this->admin->get( '/subscriptions/' . $id );
		if ( is_wp_error( $sub ) ) {
			echo '<h1>' . esc_html__( 'Subscriptions', 'skylearn-billing-sidecar' ) . '</h1>';
			SLBP_Sidecar_Admin::unavailable( $sub );
			echo '</div>';
			return;
		}
		$users  = SLBP_Sidecar_Format::users_of( array( $sub ) );
		$cancel = 'cancel' === $what;
		echo '<h1>' . esc_html( $cancel ? __( 'Cancel subscription', 'skylearn-billing-sidecar' ) : __( 'Resume subscription', 'skylearn-billing-sidecar' ) ) . '</h1>';
		printf(
			'<table class="form-table" role="presentation"><tr><th scope="row">%1$s</th><td>%2$s</td></tr><tr><th scope="row">%3$s</th><td>%4$s</td></tr><tr><th scope="row">%5$s</th><td>%6$s</td></tr><tr><th scope="row">%7$s</th><td>%8$s</td></tr></table>',
			esc_html__( 'Subscription', 'skylearn-billing-sidecar' ),
			esc_html( (string) ( $sub['subscription_id'] ?? '' ) . ' (#' . $id . ')' ),
			esc_html__( 'Customer', 'skylearn-billing-sidecar' ),
			SLBP_Sidecar_Format::user( (int) ( $sub['user_id'] ?? 0 ), $users ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped by the formatter.
			esc_html__( 'Status', 'skylearn-billing-sidecar' ),
			SLBP_Sidecar_Format::badge( (string) ( $sub['status'] ?? '' ) ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped by the formatter.
			esc_html__( 'Amount', 'skylearn-billing-sidecar' ),
			esc_html( SLBP_Sidecar_Format::money( $sub['amount'] ?? 0, (string) ( $sub['currency'] ?? '' ) ) . ' / ' . (string) ( $sub['billing_cycle'] ?? '' ) )
		);
		echo '<p>' . esc_html(
			$cancel
				? __( 'The subscription is cancelled at Lemon Squeezy (when its API key is set) and here. The customer keeps access until the end of the period already paid; no further payment is taken.', 'skylearn-billing-sidecar' )
				: __( 'The subscription is resumed at Lemon Squeezy (when its API key is set) and here, and will renew as before.', 'skylearn-billing-sidecar' )
		) . '</p>';
		$action = $cancel ? self::CANCEL_ACTION : self::RESUME_ACTION;
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		printf( '<input type="hidden" name="action" value="%s"><input type="hidden" name="subscription" value="%d">', esc_attr( $action ), (int) $id );
		wp_nonce_field( SLBP_Sidecar_Admin_Actions::nonce_action( $action, $id ) );
		submit_button( $cancel ? __( 'Cancel subscription', 'skylearn-billing-sidecar' ) : __( 'Resume subscription', 'skylearn-billing-sidecar' ), $cancel ? 'primary large slbp-danger' : 'primary large', 'submit', false );
		printf( ' <a class="button button-large" href="%s">%s</a>', esc_url( SLBP_Sidecar_Admin::url( SLBP_Sidecar_Admin::SUBSCRIPTIONS ) ), esc_html__( 'Go back', 'skylearn-billing-sidecar' ) );
		echo '</form></div>';
	}
}
