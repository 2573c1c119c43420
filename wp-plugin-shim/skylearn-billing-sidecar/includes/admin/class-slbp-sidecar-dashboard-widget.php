<?php
/**
 * The "Billing today" dashboard widget.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Today's revenue per currency and the active alerts, on the WordPress dashboard of administrators.
 */
final class SLBP_Sidecar_Dashboard_Widget {

	public const ID = 'slbp_billing_today';

	/**
	 * Shared context.
	 *
	 * @var SLBP_Sidecar_Admin
	 */
	private SLBP_Sidecar_Admin $admin;

	/**
	 * Builds the widget.
	 *
	 * @param SLBP_Sidecar_Admin $admin Shared context.
	 */
	public function __construct( SLBP_Sidecar_Admin $admin ) {
		$this->admin = $admin;
	}

	/**
	 * Hooks the widget.
	 *
	 * @return void
	 */
	public function register(): void {
		add_action( 'wp_dashboard_setup', array( $this, 'add' ) );
	}

	/**
	 * Adds the widget for users who may see billing.
	 *
	 * @return void
	 */
	public function add(): void {
		if ( current_user_can( SLBP_Sidecar_Admin::CAPABILITY ) ) {
			wp_add_dashboard_widget( self::ID, __( 'Billing today', 'skylearn-billing-sidecar' ), array( $this, 'render' ) );
		}
	}

	/**
	 * Renders the widget.
	 *
	 * @return void
	 */
	public function render(): void {
		$o = $this->admin->get( '/analytics/overview' );
		if ( is_wp_error( $o ) ) {
			/* translators: %s: error message */
			echo '<p>' . esc_html( sprintf( __( 'The billing service could not be read: %s', 'skylearn-billing-sidecar' ), $o->get_error_message() ) ) . '</p>';
			return;
		}
		$today = (array) ( $o['revenue']['today'] ?? array() );
		echo '<div class="slbp-widget"><h3>' . esc_html__( 'Revenue today (net)', 'skylearn-billing-sidecar' ) . '</h3><ul id="slbp-widget-today">';
		$any = false;
		foreach ( (array) ( $o['currencies'] ?? array() ) as $cur ) {
			$net = (float) ( $today['net'][ $cur ] ?? 0 );
			$any = true;
			printf( '<li data-currency="%1$s" data-net="%2$s"><strong>%3$s</strong> <span class="slbp-muted">%4$s</span></li>', esc_attr( (string) $cur ), esc_attr( (string) $net ), esc_html( SLBP_Sidecar_Format::money( $net, (string) $cur ) ), esc_html( sprintf( /* translators: %d: number of payments */ _n( '%d payment', '%d payments', (int) ( $today['transactions'] ?? 0 ), 'skylearn-billing-sidecar' ), (int) ( $today['transactions'] ?? 0 ) ) ) );
		}
		if ( ! $any ) {
			echo '<li>' . esc_html__( 'No payments yet.', 'skylearn-billing-sidecar' ) . '</li>';
		}
		echo '</ul><h3>' . esc_html__( 'Active alerts', 'skylearn-billing-sidecar' ) . '</h3>';
		$alerts = (array) ( $o['alerts'] ?? array() );
		SLBP_Sidecar_Overview_Page::alert_list( $alerts, (int) ( $alerts['total'] ?? 0 ) );
		printf( '<p><a href="%s">%s</a></p></div>', esc_url( SLBP_Sidecar_Admin::url( SLBP_Sidecar_Admin::OVERVIEW ) ), esc_html__( 'Billing overview', 'skylearn-billing-sidecar' ) );
	}
}
