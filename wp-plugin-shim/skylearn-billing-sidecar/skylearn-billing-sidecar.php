<?php
/**
 * Plugin Name:       SkyLearn Billing Sidecar
 * Description:       Forwards the SkyLearn Billing Pro REST API to the SkyLearn Billing sidecar service, with the signed identity of the WordPress user.
 * Version:           1.0.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            SkyLearn
 * License:           GPL-2.0-or-later
 * Text Domain:       skylearn-billing-sidecar
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'SLBP_SIDECAR_PLUGIN_VERSION', '1.0.0' );

require_once __DIR__ . '/includes/class-slbp-sidecar-settings.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-client.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-response.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-response-output.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-route-index.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-rest-controller.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-invalidator.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-status-view.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-admin-page.php';
require_once __DIR__ . '/includes/class-slbp-sidecar-cron-takeover.php';

register_activation_hook( __FILE__, array( 'SLBP_Sidecar_Cron_Takeover', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'SLBP_Sidecar_Cron_Takeover', 'deactivate' ) );

/**
 * Wires the plugin. The settings screen is always available so an administrator can configure
 * the sidecar; everything else (forwarding, cache invalidation) runs only once it is configured.
 */
function slbp_sidecar_bootstrap(): void {
	$settings = SLBP_Sidecar_Settings::load();

	if ( is_admin() ) {
		( new SLBP_Sidecar_Admin_Page( $settings ) )->register();
	}
	SLBP_Sidecar_Cron_Takeover::register( $settings->is_configured() );

	if ( ! $settings->is_configured() ) {
		add_action( 'admin_notices', array( $settings, 'render_missing_notice' ) );
		return;
	}

	$client = new SLBP_Sidecar_Client( $settings );
	( new SLBP_Sidecar_Rest_Controller( $client, new SLBP_Sidecar_Route_Index( $client ) ) )->register();
	( new SLBP_Sidecar_Invalidator( $client ) )->register();
	if ( is_admin() ) {
		// The store owner's Billing pages, dashboard widget and privacy tools (admin requests only).
		require_once __DIR__ . '/includes/admin/class-slbp-sidecar-admin.php';
		( new SLBP_Sidecar_Admin( $settings, $client ) )->register();
	}
}

slbp_sidecar_bootstrap();
