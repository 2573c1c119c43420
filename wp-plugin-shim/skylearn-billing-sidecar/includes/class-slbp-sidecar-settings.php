<?php
/**
 * Where the shim finds the sidecar: wp-config.php constants first, the settings page otherwise.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Sidecar URL, shared secret and request timeout.
 */
final class SLBP_Sidecar_Settings {

	/** Option holding the settings saved from the settings page. */
	public const OPTION = 'slbp_sidecar_settings';

	/** Seconds to wait for the sidecar when nothing is configured: short, a page must not hang. */
	public const DEFAULT_TIMEOUT = 5.0;

	/**
	 * Base URL of the sidecar, without a trailing slash.
	 *
	 * @var string
	 */
	public string $url;

	/**
	 * Secret shared with the sidecar (SLBP_SIDECAR_SECRET).
	 *
	 * @var string
	 */
	public string $secret;

	/**
	 * Request timeout in seconds.
	 *
	 * @var float
	 */
	public float $timeout;

	/**
	 * Whether the values come from wp-config.php constants (the settings form is then read-only).
	 *
	 * @var bool
	 */
	public bool $from_constants;

	/**
	 * Builds the settings object.
	 *
	 * @param string $url            Sidecar base URL.
	 * @param string $secret         Shared secret.
	 * @param float  $timeout        Timeout in seconds.
	 * @param bool   $from_constants Whether wp-config.php supplied the values.
	 */
	public function __construct( string $url, string $secret, float $timeout, bool $from_constants ) {
		$this->url            = untrailingslashit( $url );
		$this->secret         = $secret;
		$this->timeout        = $timeout > 0 ? $timeout : self::DEFAULT_TIMEOUT;
		$this->from_constants = $from_constants;
	}

	/**
	 * Reads the settings: SLBP_SIDECAR_URL / SLBP_SIDECAR_SECRET / SLBP_SIDECAR_TIMEOUT when
	 * defined (the sidecar reads the same wp-config.php, so the secret lives in one place),
	 * else the option saved from the settings page.
	 *
	 * @return self
	 */
	public static function load(): self {
		if ( defined( 'SLBP_SIDECAR_URL' ) && defined( 'SLBP_SIDECAR_SECRET' ) ) {
			$timeout = defined( 'SLBP_SIDECAR_TIMEOUT' ) ? (float) SLBP_SIDECAR_TIMEOUT : self::DEFAULT_TIMEOUT;
			return new self( (string) SLBP_SIDECAR_URL, (string) SLBP_SIDECAR_SECRET, $timeout, true );
		}
		$saved = get_option( self::OPTION, array() );
		$saved = is_array( $saved ) ? $saved : array();
		return new self(
			isset( $saved['url'] ) ? (string) $saved['url'] : '',
			isset( $saved['secret'] ) ? (string) $saved['secret'] : '',
			isset( $saved['timeout'] ) ? (float) $saved['timeout'] : self::DEFAULT_TIMEOUT,
			false
		);
	}

	/**
	 * Whether the shim has what it needs to reach the sidecar.
	 *
	 * @return bool
	 */
	public function is_configured(): bool {
		// Not wp_http_validate_url(): it refuses loopback hosts, and a sidecar beside WordPress is the usual set-up.
		$parts = wp_parse_url( $this->url );
		return '' !== $this->secret
			&& is_array( $parts )
			&& in_array( $parts['scheme'] ?? '', array( 'http', 'https' ), true )
			&& ! empty( $parts['host'] );
	}

	/**
	 * Sanitizes the settings form (register_setting callback).
	 *
	 * @param mixed $input Submitted values.
	 * @return array{url: string, secret: string, timeout: float}
	 */
	public static function sanitize( $input ): array {
		$input   = is_array( $input ) ? $input : array();
		$current = get_option( self::OPTION, array() );
		$current = is_array( $current ) ? $current : array();
		$secret  = isset( $input['secret'] ) ? trim( (string) $input['secret'] ) : '';
		return array(
			'url'     => esc_url_raw( trim( (string) ( $input['url'] ?? '' ) ), array( 'http', 'https' ) ),
			// An empty secret field keeps the stored one: the form never echoes the secret back.
			'secret'  => '' !== $secret ? $secret : (string) ( $current['secret'] ?? '' ),
			'timeout' => max( 0.5, min( 30.0, (float) ( $input['timeout'] ?? self::DEFAULT_TIMEOUT ) ) ),
		);
	}

	/**
	 * Admin notice shown while the sidecar is not configured.
	 *
	 * @return void
	 */
	public function render_missing_notice(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-warning"><p>%s <a href="%s">%s</a></p></div>',
			esc_html__( 'SkyLearn Billing Sidecar is not configured: define SLBP_SIDECAR_URL and SLBP_SIDECAR_SECRET in wp-config.php, or fill in the settings. Until then nothing is forwarded.', 'skylearn-billing-sidecar' ),
			esc_url( admin_url( 'options-general.php?page=' . SLBP_Sidecar_Admin_Page::SLUG ) ),
			esc_html__( 'Settings', 'skylearn-billing-sidecar' )
		);
	}
}
