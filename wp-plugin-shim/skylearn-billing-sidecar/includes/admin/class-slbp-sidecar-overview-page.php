<?php
/**
 * Billing → Overview: how the store is doing, from one sidecar call.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Revenue today, over 7 and 30 days per currency (net, with gross and refunds), MRR, subscriptions
 * by state, failed payments, the last Lemon Squeezy webhook, active alerts, and a 12-month chart per
 * currency, all from GET /analytics/overview (the sidecar's cached analytics).
 */
final class SLBP_Sidecar_Overview_Page {

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
	 * Subscription state labels, in the page's order.
	 *
	 * @return array<string, string>
	 */
	public static function states(): array {
		return array(
			'active'    => __( 'Active', 'skylearn-billing-sidecar' ),
			'on_trial'  => __( 'On trial', 'skylearn-billing-sidecar' ),
			'past_due'  => __( 'Past due', 'skylearn-billing-sidecar' ),
			'paused'    => __( 'Paused', 'skylearn-billing-sidecar' ),
			'cancelled' => __( 'Cancelled', 'skylearn-billing-sidecar' ),
			'expired'   => __( 'Expired', 'skylearn-billing-sidecar' ),
		);
	}

	/**
	 * Renders the page.
	 *
	 * @return void
	 */
	public function render(): void {
		if ( ! current_user_can( SLBP_Sidecar_Admin::CAPABILITY ) ) {
			return;
		}
		echo '<div class="wrap slbp-billing"><h1>' . esc_html__( 'Billing overview', 'skylearn-billing-sidecar' ) . '</h1>';
		$o = $this->admin->get( '/analytics/overview' );
		if ( is_wp_error( $o ) ) {
			SLBP_Sidecar_Admin::unavailable( $o );
			echo '</div>';
			return;
		}
		printf(
			'<p class="slbp-muted">%s</p>',
			/* translators: 1: date and time, 2: time zone */
			esc_html( sprintf( __( 'Figures as of %1$s; days are counted in %2$s.', 'skylearn-billing-sidecar' ), SLBP_Sidecar_Format::datetime( $o['generated_at'] ?? null ), (string) ( $o['timezone'] ?? 'UTC' ) ) )
		);
		$currencies = array_map( 'strval', (array) ( $o['currencies'] ?? array() ) );
		$this->revenue( (array) ( $o['revenue'] ?? array() ), $currencies );
		echo '<div class="slbp-grid">';
		$this->recurring( $o );
		$this->failed( (array) ( $o['failed_payments'] ?? array() ) );
		$this->webhook( $o['last_webhook'] ?? null );
		$this->alerts( (array) ( $o['alerts'] ?? array() ) );
		echo '</div>';
		SLBP_Sidecar_Overview_Charts::subscriptions( (array) ( $o['subscriptions']['by_status'] ?? array() ) );
		SLBP_Sidecar_Overview_Charts::year( (array) ( $o['revenue_12m']['series'] ?? array() ), $currencies );
		echo '</div>';
	}

	/**
	 * Today, 7 and 30 days per currency: net, with gross and refunds under it.
	 *
	 * @param array<string, mixed> $revenue    Revenue windows.
	 * @param string[]             $currencies Currencies.
	 * @return void
	 */
	private function revenue( array $revenue, array $currencies ): void {
		$periods = array(
			'today' => __( 'Today', 'skylearn-billing-sidecar' ),
			'7d'    => __( 'Last 7 days', 'skylearn-billing-sidecar' ),
			'30d'   => __( 'Last 30 days', 'skylearn-billing-sidecar' ),
		);
		echo '<h2 id="slbp-revenue-heading">' . esc_html__( 'Revenue', 'skylearn-billing-sidecar' ) . '</h2>';
		echo '<table class="widefat striped slbp-revenue" aria-labelledby="slbp-revenue-heading"><thead><tr><th scope="col">' . esc_html__( 'Currency', 'skylearn-billing-sidecar' ) . '</th>';
		foreach ( $periods as $label ) {
			echo '<th scope="col">' . esc_html( $label ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		if ( ! $currencies ) {
			echo '<tr><td colspan="4">' . esc_html__( 'No payments yet.', 'skylearn-billing-sidecar' ) . '</td></tr>';
		}
		foreach ( $currencies as $cur ) {
			echo '<tr><th scope="row">' . esc_html( $cur ) . '</th>';
			foreach ( array_keys( $periods ) as $period ) {
				$w   = (array) ( $revenue[ $period ] ?? array() );
				$get = static fn( string $k ): float => (float) ( $w[ $k ][ $cur ] ?? 0 );
				printf(
					'<td data-period="%1$s" data-currency="%2$s" data-net="%3$s" data-gross="%4$s" data-refunds="%5$s"><strong>%6$s</strong><br><span class="slbp-muted">%7$s</span></td>',
					esc_attr( $period ),
					esc_attr( $cur ),
					esc_attr( (string) $get( 'net' ) ),
					esc_attr( (string) $get( 'gross' ) ),
					esc_attr( (string) $get( 'refunds' ) ),
					esc_html( SLBP_Sidecar_Format::money( $get( 'net' ), $cur ) ),
					/* translators: 1: gross amount, 2: refunded amount */
					esc_html( sprintf( __( 'gross %1$s, refunds %2$s', 'skylearn-billing-sidecar' ), SLBP_Sidecar_Format::money( $get( 'gross' ), $cur ), SLBP_Sidecar_Format::money( $get( 'refunds' ), $cur ) ) )
				);
			}
			echo '</tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * MRR, ARR, active subscriptions and churn.
	 *
	 * @param array<string, mixed> $o Overview.
	 * @return void
	 */
	private function recurring( array $o ): void {
		echo '<section class="slbp-card" aria-labelledby="slbp-mrr-heading"><h2 id="slbp-mrr-heading">' . esc_html__( 'Recurring revenue', 'skylearn-billing-sidecar' ) . '</h2><dl class="slbp-figures">';
		foreach ( (array) ( $o['mrr'] ?? array() ) as $cur => $mrr ) {
			$cur = (string) $cur;
			printf(
				'<dt>%1$s</dt><dd data-mrr-currency="%2$s" data-value="%3$s">%4$s</dd>',
				/* translators: %s: currency code */
				esc_html( sprintf( __( 'MRR (%s)', 'skylearn-billing-sidecar' ), $cur ) ),
				esc_attr( $cur ),
				esc_attr( (string) $mrr ),
				/* translators: 1: monthly amount, 2: yearly amount */
				esc_html( sprintf( __( '%1$s (ARR %2$s)', 'skylearn-billing-sidecar' ), SLBP_Sidecar_Format::money( $mrr, $cur ), SLBP_Sidecar_Format::money( $o['arr'][ $cur ] ?? 0, $cur ) ) )
			);
		}
		if ( empty( $o['mrr'] ) ) {
			echo '<dt>' . esc_html__( 'MRR', 'skylearn-billing-sidecar' ) . '</dt><dd>' . esc_html__( 'No active subscriptions.', 'skylearn-billing-sidecar' ) . '</dd>';
		}
		printf( '<dt>%s</dt><dd id="slbp-active-subscriptions">%s</dd>', esc_html__( 'Active subscriptions', 'skylearn-billing-sidecar' ), esc_html( number_format_i18n( (int) ( $o['active_subscriptions'] ?? 0 ) ) ) );
		printf( '<dt>%s</dt><dd>%s</dd>', esc_html__( 'Churn, last 30 days', 'skylearn-billing-sidecar' ), esc_html( number_format_i18n( 100 * (float) ( $o['churn_rate'] ?? 0 ), 1 ) . ' %' ) );
		echo '</dl></section>';
	}

	/**
	 * Failed payments in the last 24 hours and 7 days.
	 *
	 * @param array<string, mixed> $failed Windows.
	 * @return void
	 */
	private function failed( array $failed ): void {
		echo '<section class="slbp-card" aria-labelledby="slbp-failed-heading"><h2 id="slbp-failed-heading">' . esc_html__( 'Failed payments', 'skylearn-billing-sidecar' ) . '</h2><dl class="slbp-figures">';
		foreach ( array( '24h' => __( 'Last 24 hours', 'skylearn-billing-sidecar' ), '7d' => __( 'Last 7 days', 'skylearn-billing-sidecar' ) ) as $key => $label ) {
			$w       = (array) ( $failed[ $key ] ?? array() );
			$amounts = array();
			foreach ( (array) ( $w['amount'] ?? array() ) as $cur => $amount ) {
				$amounts[] = SLBP_Sidecar_Format::money( $amount, (string) $cur );
			}
			$count = (int) ( $w['count'] ?? 0 );
			printf(
				'<dt>%1$s</dt><dd id="slbp-failed-%2$s" data-count="%3$d">%4$s</dd>',
				esc_html( $label ),
				esc_attr( $key ),
				$count,
				/* translators: %s: number of failed payments */
				esc_html( sprintf( _n( '%s payment', '%s payments', $count, 'skylearn-billing-sidecar' ), number_format_i18n( $count ) ) . ( $amounts ? ' (' . implode( ', ', $amounts ) . ')' : '' ) )
			);
		}
		echo '</dl></section>';
	}

	/**
	 * The last Lemon Squeezy webhook: when, which event, what came of it.
	 *
	 * @param mixed $hook Webhook summary or null.
	 * @return void
	 */
	private function webhook( $hook ): void {
		echo '<section class="slbp-card" aria-labelledby="slbp-webhook-heading"><h2 id="slbp-webhook-heading">' . esc_html__( 'Last Lemon Squeezy webhook', 'skylearn-billing-sidecar' ) . '</h2>';
		if ( ! is_array( $hook ) ) {
			echo '<p id="slbp-last-webhook">' . esc_html__( 'No webhook received yet.', 'skylearn-billing-sidecar' ) . '</p></section>';
			return;
		}
		$results = array(
			'processed' => __( 'Processed', 'skylearn-billing-sidecar' ),
			'duplicate' => __( 'Duplicate (already applied)', 'skylearn-billing-sidecar' ),
			'ignored'   => __( 'Ignored (event not handled)', 'skylearn-billing-sidecar' ),
			'invalid'   => __( 'Invalid payload', 'skylearn-billing-sidecar' ),
			'failed'    => __( 'Failed', 'skylearn-billing-sidecar' ),
		);
		$status = (string) ( $hook['status'] ?? '' );
		printf(
			'<dl class="slbp-figures" id="slbp-last-webhook" data-event="%1$s" data-status="%2$s"><dt>%3$s</dt><dd>%4$s</dd><dt>%5$s</dt><dd><code>%6$s</code></dd><dt>%7$s</dt><dd>%8$s</dd></dl></section>',
			esc_attr( (string) ( $hook['event'] ?? '' ) ),
			esc_attr( $status ),
			esc_html__( 'Received', 'skylearn-billing-sidecar' ),
			esc_html( SLBP_Sidecar_Format::datetime( $hook['received_at'] ?? null ) ),
			esc_html__( 'Event', 'skylearn-billing-sidecar' ),
			esc_html( (string) ( $hook['event'] ?? '' ) ),
			esc_html__( 'Result', 'skylearn-billing-sidecar' ),
			esc_html( ( $results[ $status ] ?? $status ) . ' (HTTP ' . (int) ( $hook['response_code'] ?? 0 ) . ')' )
		);
	}

	/**
	 * Active alerts.
	 *
	 * @param array<string, mixed> $alerts `{total, items}`.
	 * @return void
	 */
	private function alerts( array $alerts ): void {
		$total = (int) ( $alerts['total'] ?? 0 );
		echo '<section class="slbp-card" aria-labelledby="slbp-alerts-heading"><h2 id="slbp-alerts-heading">' . esc_html__( 'Active alerts', 'skylearn-billing-sidecar' ) . '</h2>';
		self::alert_list( $alerts, $total );
		echo '</section>';
	}

	/**
	 * The list of active alerts (also used by the dashboard widget).
	 *
	 * @param array<string, mixed> $alerts `{total, items}`.
	 * @param int                  $total  Count of all active alerts.
	 * @return void
	 */
	public static function alert_list( array $alerts, int $total ): void {
		if ( 0 === $total ) {
			echo '<p class="slbp-alerts" data-total="0">' . esc_html__( 'No active alerts.', 'skylearn-billing-sidecar' ) . '</p>';
			return;
		}
		printf( '<ul class="slbp-alerts" data-total="%d">', (int) $total );
		foreach ( (array) ( $alerts['items'] ?? array() ) as $a ) {
			$a = (array) $a;
			printf(
				'<li><span class="slbp-badge slbp-badge--%1$s">%2$s</span> %3$s <span class="slbp-muted">%4$s</span></li>',
				esc_attr( sanitize_html_class( (string) ( $a['severity'] ?? '' ) ) ),
				esc_html( ucfirst( (string) ( $a['severity'] ?? '' ) ) ),
				esc_html( (string) ( $a['message'] ?? $a['alert_name'] ?? '' ) ),
				/* translators: %s: date and time */
				esc_html( sprintf( __( 'since %s', 'skylearn-billing-sidecar' ), SLBP_Sidecar_Format::datetime( $a['triggered_at_gmt'] ?? $a['triggered_at'] ?? null ) ) )
			);
		}
		echo '</ul>';
		$shown = count( (array) ( $alerts['items'] ?? array() ) );
		if ( $total > $shown ) {
			/* translators: %d: number of alerts not listed */
			echo '<p class="slbp-muted">' . esc_html( sprintf( _n( 'and %d more', 'and %d more', $total - $shown, 'skylearn-billing-sidecar' ), $total - $shown ) ) . '</p>';
		}
	}
}
