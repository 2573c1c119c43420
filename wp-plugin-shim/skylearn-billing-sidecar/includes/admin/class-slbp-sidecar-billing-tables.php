<?php
/**
 * The billing lists' shared filters, and the Transactions list.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

require_once __DIR__ . '/class-slbp-sidecar-list-table.php';

/**
 * Filters shared by both lists: status, gateway, currency, creation dates, and the search box
 * (an email finds the WordPress user's rows, anything else a gateway id).
 */
abstract class SLBP_Sidecar_Billing_Table extends SLBP_Sidecar_List_Table {

	/**
	 * Statuses of the list's rows, value → label.
	 *
	 * @return array<string, string>
	 */
	abstract protected function statuses(): array;

	/**
	 * Status, gateway, currency and date filters, then the route's own query; null when an email
	 * searched for belongs to nobody.
	 *
	 * @return array<string, mixed>|null
	 */
	protected function query(): ?array {
		$q      = array();
		$status = self::param( 'status' );
		if ( isset( $this->statuses()[ $status ] ) ) {
			$q['status'] = $status;
		}
		$gateway = self::param( 'gateway' );
		if ( '' !== $gateway ) {
			$q['gateway'] = sanitize_key( $gateway );
		}
		$currency = strtoupper( self::param( 'currency' ) );
		if ( preg_match( '/^[A-Z]{3}$/', $currency ) ) {
			$q['currency'] = $currency;
		}
		$after  = self::local_day( self::param( 'from' ), false );
		$before = self::local_day( self::param( 'to' ), true );
		if ( null !== $after ) {
			$q['after'] = $after;
		}
		if ( null !== $before ) {
			$q['before'] = $before;
		}
		$search = self::param( 's' );
		if ( '' !== $search && is_email( $search ) ) {
			$user = get_user_by( 'email', $search );
			if ( ! $user ) {
				return null;
			}
			$q['user_id'] = (int) $user->ID;
		} elseif ( '' !== $search ) {
			$q['search'] = $search;
		}
		return $q;
	}

	/**
	 * The filter bar above the list.
	 *
	 * @param string $which top|bottom.
	 * @return void
	 */
	protected function extra_tablenav( $which ) {
		if ( 'top' !== $which ) {
			return;
		}
		echo '<div class="alignleft actions slbp-filters">';
		$this->select( 'status', __( 'Filter by status', 'skylearn-billing-sidecar' ), array( '' => __( 'All statuses', 'skylearn-billing-sidecar' ) ) + $this->statuses() );
		$this->select( 'gateway', __( 'Filter by gateway', 'skylearn-billing-sidecar' ), array( '' => __( 'All gateways', 'skylearn-billing-sidecar' ), 'lemon_squeezy' => 'Lemon Squeezy' ) );
		$this->input( 'currency', __( 'Currency (e.g. USD)', 'skylearn-billing-sidecar' ), 'text', 'size="6" maxlength="3" pattern="[A-Za-z]{3}"' );
		$this->input( 'from', __( 'From date', 'skylearn-billing-sidecar' ), 'date' );
		$this->input( 'to', __( 'To date', 'skylearn-billing-sidecar' ), 'date' );
		submit_button( __( 'Filter', 'skylearn-billing-sidecar' ), '', 'filter_action', false, array( 'id' => 'slbp-filter-submit' ) );
		echo '</div>';
	}

	/**
	 * The owner column: the WordPress user, linked.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_user( $item ) {
		return SLBP_Sidecar_Format::user( (int) ( $item['user_id'] ?? 0 ), $this->users );
	}

	/**
	 * Amount with its currency.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_amount( $item ) {
		return esc_html( SLBP_Sidecar_Format::money( $item['amount'] ?? 0, (string) ( $item['currency'] ?? '' ) ) );
	}

	/**
	 * Status badge.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_status( $item ) {
		return SLBP_Sidecar_Format::badge( (string) ( $item['status'] ?? '' ) );
	}

	/**
	 * Gateway.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_gateway( $item ) {
		return esc_html( SLBP_Sidecar_Format::gateway( (string) ( $item['gateway'] ?? '' ) ) );
	}

	/**
	 * Creation date.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_created_at( $item ) {
		return esc_html( SLBP_Sidecar_Format::datetime( $item['created_at'] ?? null ) );
	}
}

/**
 * Billing → Transactions.
 */
final class SLBP_Sidecar_Transactions_Table extends SLBP_Sidecar_Billing_Table {

	/**
	 * Builds the table.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		parent::__construct( $admin, 'transactions' );
	}

	/** @return string */
	protected function route(): string {
		return '/transactions';
	}

	/** @return array<string, string> */
	protected function statuses(): array {
		$out = array();
		foreach ( array( 'completed', 'pending', 'processing', 'failed', 'refunded', 'cancelled' ) as $s ) {
			$out[ $s ] = SLBP_Sidecar_Format::status( $s );
		}
		return $out;
	}

	/** @return array<string, string> */
	public function get_columns() {
		return array(
			'order_id'   => __( 'Order', 'skylearn-billing-sidecar' ),
			'created_at' => __( 'Date', 'skylearn-billing-sidecar' ),
			'user'       => __( 'Customer', 'skylearn-billing-sidecar' ),
			'amount'     => __( 'Amount', 'skylearn-billing-sidecar' ),
			'status'     => __( 'Status', 'skylearn-billing-sidecar' ),
			'gateway'    => __( 'Gateway', 'skylearn-billing-sidecar' ),
			'course_id'  => __( 'Course', 'skylearn-billing-sidecar' ),
		);
	}

	/** @return array<string, array{0: string, 1: bool}> */
	protected function get_sortable_columns() {
		return array(
			'created_at' => array( 'created_at', true ),
			'amount'     => array( 'amount', false ),
		);
	}

	/** @return string */
	protected function get_default_primary_column_name() {
		return 'order_id';
	}

	/**
	 * Order id, with the transaction id under it.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_order_id( $item ) {
		return sprintf( '<strong>%s</strong><br><span class="slbp-muted">%s</span>', esc_html( (string) ( $item['order_id'] ?? '' ) ), esc_html( '#' . (string) ( $item['id'] ?? '' ) . ' · ' . (string) ( $item['transaction_id'] ?? '' ) ) );
	}

	/**
	 * Course title, linked to its editor.
	 *
	 * @param array<string, mixed> $item Row.
	 * @return string
	 */
	protected function column_course_id( $item ) {
		$id = (int) ( $item['course_id'] ?? 0 );
		if ( ! $id ) {
			return '—';
		}
		$title = get_the_title( $id );
		/* translators: %d: course id */
		$text = '' !== $title ? $title : sprintf( __( 'Course #%d', 'skylearn-billing-sidecar' ), $id );
		$link = get_edit_post_link( $id );
		return $link ? sprintf( '<a href="%s">%s</a>', esc_url( $link ), esc_html( $text ) ) : esc_html( $text );
	}
}
