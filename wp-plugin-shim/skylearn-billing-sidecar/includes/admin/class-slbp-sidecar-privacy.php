<?php
/**
 * WordPress's privacy tools for billing data: Tools → Export / Erase Personal Data.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers a personal data exporter and eraser, as core plugins do. Both call the sidecar as the
 * administrator running the tool (WordPress has checked their export/erase capability and the
 * request's nonce). Erasure keeps what accounting must keep and says so in its messages.
 */
final class SLBP_Sidecar_Privacy {

	public const KEY = 'skylearn-billing-sidecar';

	/**
	 * Shared context.
	 *
	 * @var SLBP_Sidecar_Admin
	 */
	private SLBP_Sidecar_Admin $admin;

	/**
	 * Builds the tools.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		$this->admin = $admin;
	}

	/**
	 * Hooks the exporter, the eraser and the privacy policy text.
	 *
	 * @return void
	 */
	public function register(): void {
		add_filter( 'wp_privacy_personal_data_exporters', array( $this, 'exporters' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( $this, 'erasers' ) );
		add_action( 'admin_init', array( $this, 'policy' ) );
	}

	/**
	 * Adds the exporter.
	 *
	 * @param array<string, mixed> $exporters Exporters.
	 * @return array<string, mixed>
	 */
	public function exporters( $exporters ) {
		$exporters[ self::KEY ] = array( 'exporter_friendly_name' => __( 'SkyLearn Billing', 'skylearn-billing-sidecar' ), 'callback' => array( $this, 'export' ) );
		return $exporters;
	}

	/**
	 * Adds the eraser.
	 *
	 * @param array<string, mixed> $erasers Erasers.
	 * @return array<string, mixed>
	 */
	public function erasers( $erasers ) {
		$erasers[ self::KEY ] = array( 'eraser_friendly_name' => __( 'SkyLearn Billing', 'skylearn-billing-sidecar' ), 'callback' => array( $this, 'erase' ) );
		return $erasers;
	}

	/**
	 * Suggested privacy policy text (Settings → Privacy → Policy Guide).
	 *
	 * @return void
	 */
	public function policy(): void {
		if ( function_exists( 'wp_add_privacy_policy_content' ) ) {
			wp_add_privacy_policy_content( __( 'SkyLearn Billing', 'skylearn-billing-sidecar' ), '<p>' . esc_html__( 'We keep a record of your payments and subscriptions (amounts, currencies, dates and statuses) for as long as accounting law requires. When you ask us to erase your personal data, these records are kept without anything that identifies you; your notifications, enrolment history, API keys and stay-signed-in tokens are deleted.', 'skylearn-billing-sidecar' ) . '</p>' );
		}
	}

	/**
	 * Group labels.
	 *
	 * @return array<string, string>
	 */
	private static function groups(): array {
		return array(
			'transactions'         => __( 'Payments', 'skylearn-billing-sidecar' ),
			'subscriptions'        => __( 'Subscriptions', 'skylearn-billing-sidecar' ),
			'enrolments'           => __( 'Course enrolment history', 'skylearn-billing-sidecar' ),
			'notifications'        => __( 'Billing notifications', 'skylearn-billing-sidecar' ),
			'api_keys'             => __( 'API keys', 'skylearn-billing-sidecar' ),
			'plugin_orders'        => __( 'Orders (SkyLearn Billing Pro records)', 'skylearn-billing-sidecar' ),
			'plugin_subscriptions' => __( 'Subscriptions (SkyLearn Billing Pro records)', 'skylearn-billing-sidecar' ),
			'plugin_enrolments'    => __( 'Course enrolments (SkyLearn Billing Pro records)', 'skylearn-billing-sidecar' ),
		);
	}

	/**
	 * Field labels.
	 *
	 * @return array<string, string>
	 */
	private static function labels(): array {
		return array(
			'order_id'          => __( 'Order', 'skylearn-billing-sidecar' ),
			'transaction_id'    => __( 'Transaction', 'skylearn-billing-sidecar' ),
			'subscription_id'   => __( 'Subscription', 'skylearn-billing-sidecar' ),
			'gateway'           => __( 'Payment gateway', 'skylearn-billing-sidecar' ),
			'plan_id'           => __( 'Plan', 'skylearn-billing-sidecar' ),
			'amount'            => __( 'Amount', 'skylearn-billing-sidecar' ),
			'currency'          => __( 'Currency', 'skylearn-billing-sidecar' ),
			'status'            => __( 'Status', 'skylearn-billing-sidecar' ),
			'billing_cycle'     => __( 'Billing cycle', 'skylearn-billing-sidecar' ),
			'next_billing_date' => __( 'Next payment', 'skylearn-billing-sidecar' ),
			'expires_at'        => __( 'Ends', 'skylearn-billing-sidecar' ),
			'course_id'         => __( 'Course', 'skylearn-billing-sidecar' ),
			'action'            => __( 'Action', 'skylearn-billing-sidecar' ),
			'lms'               => __( 'Learning platform', 'skylearn-billing-sidecar' ),
			'notes'             => __( 'Notes', 'skylearn-billing-sidecar' ),
			'type'              => __( 'Type', 'skylearn-billing-sidecar' ),
			'title'             => __( 'Title', 'skylearn-billing-sidecar' ),
			'message'           => __( 'Message', 'skylearn-billing-sidecar' ),
			'is_read'           => __( 'Read', 'skylearn-billing-sidecar' ),
			'name'              => __( 'Name', 'skylearn-billing-sidecar' ),
			'fingerprint'       => __( 'Key fingerprint', 'skylearn-billing-sidecar' ),
			'permissions'       => __( 'Permissions', 'skylearn-billing-sidecar' ),
			'rate_limit'        => __( 'Requests per hour', 'skylearn-billing-sidecar' ),
			'last_used_at'      => __( 'Last used', 'skylearn-billing-sidecar' ),
			'metadata'          => __( 'Details', 'skylearn-billing-sidecar' ),
			'created_at'        => __( 'Date', 'skylearn-billing-sidecar' ),
			'product_id'        => __( 'Product', 'skylearn-billing-sidecar' ),
			'customer_email'    => __( 'Email', 'skylearn-billing-sidecar' ),
			'customer_name'     => __( 'Name on the order', 'skylearn-billing-sidecar' ),
			'card_brand'        => __( 'Card', 'skylearn-billing-sidecar' ),
			'card_last_four'    => __( 'Card ending', 'skylearn-billing-sidecar' ),
			'source'            => __( 'Source', 'skylearn-billing-sidecar' ),
		);
	}

	/**
	 * Exporter callback: one page of the person's billing data.
	 *
	 * @param string $email Email address of the request.
	 * @param int    $page  Page, from 1.
	 * @return array{data: array<int, array<string, mixed>>, done: bool}|WP_Error
	 */
	public function export( $email, $page = 1 ) {
		$data = SLBP_Sidecar_Admin::ok( $this->admin->call( 'POST', '/privacy/export', array(), array( 'email' => (string) $email, 'page' => max( 1, (int) $page ) ) ) );
		if ( is_wp_error( $data ) ) {
			return $data;
		}
		$groups = self::groups();
		$labels = self::labels();
		$out    = array();
		foreach ( (array) ( $data['items'] ?? array() ) as $item ) {
			$group  = (string) ( $item['group'] ?? '' );
			$fields = array();
			foreach ( (array) ( $item['fields'] ?? array() ) as $name => $value ) {
				if ( null === $value || '' === $value || array() === $value ) {
					continue;
				}
				$fields[] = array(
					'name'  => $labels[ $name ] ?? (string) $name,
					'value' => is_array( $value ) ? (string) wp_json_encode( $value ) : ( is_bool( $value ) ? ( $value ? __( 'yes', 'skylearn-billing-sidecar' ) : __( 'no', 'skylearn-billing-sidecar' ) ) : (string) $value ),
				);
			}
			$out[] = array(
				'group_id'          => 'slbp-' . $group,
				'group_label'       => $groups[ $group ] ?? $group,
				'group_description' => __( 'Billing records of SkyLearn Billing.', 'skylearn-billing-sidecar' ),
				'item_id'           => 'slbp-' . $group . '-' . (int) ( $item['id'] ?? 0 ),
				'data'              => $fields,
			);
		}
		return array( 'data' => $out, 'done' => ! empty( $data['done'] ) );
	}

	/**
	 * Eraser callback: everything in one call; the messages say what was kept and why.
	 *
	 * @param string $email Email address of the request.
	 * @param int    $page  Page (the sidecar erases everything on the first).
	 * @return array{items_removed: bool, items_retained: bool, messages: string[], done: bool}|WP_Error
	 */
	public function erase( $email, $page = 1 ) {
		unset( $page );
		$r = SLBP_Sidecar_Admin::ok( $this->admin->call( 'POST', '/privacy/erase', array(), array( 'email' => (string) $email ), $this->admin->slow_client() ) );
		if ( is_wp_error( $r ) ) {
			return $r;
		}
		$c        = (array) ( $r['counts'] ?? array() );
		$n        = static fn( string $k ): int => (int) ( $c[ $k ] ?? 0 );
		$messages = array();
		if ( $n( 'transactions_anonymised' ) ) {
			/* translators: %d: number of payments */
			$messages[] = sprintf( _n( '%d payment was kept for accounting (amount, currency, status and dates) but no longer names this person; its free-text details were removed.', '%d payments were kept for accounting (amounts, currencies, statuses and dates) but no longer name this person; their free-text details were removed.', $n( 'transactions_anonymised' ), 'skylearn-billing-sidecar' ), $n( 'transactions_anonymised' ) );
		}
		if ( $n( 'subscriptions_anonymised' ) ) {
			/* translators: %d: number of subscriptions */
			$messages[] = sprintf( _n( '%d subscription was kept for accounting (plan, amount, status and dates) but no longer names this person.', '%d subscriptions were kept for accounting (plans, amounts, statuses and dates) but no longer name this person.', $n( 'subscriptions_anonymised' ), 'skylearn-billing-sidecar' ), $n( 'subscriptions_anonymised' ) );
		}
		if ( (int) ( $r['running_subscriptions'] ?? 0 ) ) {
			/* translators: %d: number of running subscriptions */
			$messages[] = sprintf( _n( '%d of these subscriptions is still running at Lemon Squeezy, which keeps its own records and goes on billing it: cancel it there if the person asked to stop paying.', '%d of these subscriptions are still running at Lemon Squeezy, which keeps its own records and goes on billing them: cancel them there if the person asked to stop paying.', (int) $r['running_subscriptions'], 'skylearn-billing-sidecar' ), (int) $r['running_subscriptions'] );
		}
		$deleted = $n( 'enrolments_deleted' ) + $n( 'notifications_deleted' ) + $n( 'api_keys_deleted' ) + $n( 'refresh_tokens_deleted' ) + $n( 'api_logs_deleted' ) + $n( 'tasks_deleted' ) + $n( 'export_files_deleted' );
		if ( $deleted ) {
			/* translators: 1: enrolment log entries, 2: notifications, 3: API keys, 4: stay-signed-in tokens, 5: request log entries, 6: queued tasks and exports */
			$messages[] = sprintf( __( 'Deleted: %1$d enrolment log entries, %2$d notifications, %3$d API keys, %4$d stay-signed-in tokens, %5$d request log entries, %6$d queued tasks and exports.', 'skylearn-billing-sidecar' ), $n( 'enrolments_deleted' ), $n( 'notifications_deleted' ), $n( 'api_keys_deleted' ), $n( 'refresh_tokens_deleted' ), $n( 'api_logs_deleted' ), $n( 'tasks_deleted' ) + $n( 'export_files_deleted' ) );
		}
		$records = $n( 'plugin_orders_anonymised' ) + $n( 'plugin_subscriptions_anonymised' );
		if ( $records ) {
			/* translators: %d: number of order and subscription records */
			$messages[] = sprintf( _n( '%d order or subscription record of SkyLearn Billing Pro was kept for accounting but no longer holds this person’s email, name, customer number or card.', '%d order and subscription records of SkyLearn Billing Pro were kept for accounting but no longer hold this person’s email, name, customer number or card.', $records, 'skylearn-billing-sidecar' ), $records );
		}
		$unlinked = $n( 'plugin_lists_deleted' ) + $n( 'plugin_enrolments_deleted' ) + $n( 'plugin_links_deleted' );
		if ( $unlinked ) {
			/* translators: %d: number of user meta entries and options */
			$messages[] = sprintf( _n( 'Deleted %d SkyLearn Billing Pro entry tying orders, subscriptions or course enrolments to this person.', 'Deleted %d SkyLearn Billing Pro entries tying orders, subscriptions or course enrolments to this person.', $unlinked, 'skylearn-billing-sidecar' ), $unlinked );
		}
		if ( $n( 'webhook_logs_redacted' ) ) {
			/* translators: %d: number of webhook log entries */
			$messages[] = sprintf( _n( '%d payment webhook log entry no longer holds this person’s name, email, address or links.', '%d payment webhook log entries no longer hold this person’s name, email, address or links.', $n( 'webhook_logs_redacted' ), 'skylearn-billing-sidecar' ), $n( 'webhook_logs_redacted' ) );
		}
		return array(
			'items_removed'  => ! empty( $r['items_removed'] ),
			'items_retained' => ! empty( $r['items_retained'] ),
			'messages'       => $messages,
			'done'           => true,
		);
	}
}
