<?php
/**
 * Tells the sidecar when WordPress changed something it caches.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Posts /cache/invalidate, signed as WordPress itself (user 0), when a user's roles, capabilities
 * or password, the plugin's slbp_* options, the course mappings or the role table change.
 * Tags follow the sidecar's vocabulary (src/cache/keys.ts): `user:{id}`, `options`.
 */
final class SLBP_Sidecar_Invalidator {

	/**
	 * Client for the sidecar.
	 *
	 * @var SLBP_Sidecar_Client
	 */
	private SLBP_Sidecar_Client $client;

	/**
	 * Tags already sent during this PHP request (one role change fires several hooks).
	 *
	 * @var array<string, true>
	 */
	private array $sent = array();

	/**
	 * Builds the invalidator.
	 *
	 * @param SLBP_Sidecar_Client $client Sidecar client.
	 */
	public function __construct( SLBP_Sidecar_Client $client ) {
		$this->client = $client;
	}

	/**
	 * Hooks into WordPress.
	 *
	 * @return void
	 */
	public function register(): void {
		add_action( 'set_user_role', array( $this, 'user_changed' ), 10, 1 );
		add_action( 'add_user_role', array( $this, 'user_changed' ), 10, 1 );
		add_action( 'remove_user_role', array( $this, 'user_changed' ), 10, 1 );
		add_action( 'profile_update', array( $this, 'user_changed' ), 10, 1 );
		add_action( 'deleted_user', array( $this, 'user_changed' ), 10, 1 );
		// wp_set_password() (password resets) fires no profile hook, only this: the sidecar's
		// tokens carry a stamp of the password hash and stop working once it reloads the user.
		add_action( 'clean_user_cache', array( $this, 'user_changed' ), 10, 1 );
		// add_cap()/remove_cap() on a user fire no role hook, only the meta write.
		add_action( 'added_user_meta', array( $this, 'user_meta_changed' ), 10, 3 );
		add_action( 'updated_user_meta', array( $this, 'user_meta_changed' ), 10, 3 );
		add_action( 'deleted_user_meta', array( $this, 'user_meta_changed' ), 10, 3 );
		add_action( 'added_option', array( $this, 'option_changed' ), 10, 1 );
		add_action( 'updated_option', array( $this, 'option_changed' ), 10, 1 );
		add_action( 'deleted_option', array( $this, 'option_changed' ), 10, 1 );
	}

	/**
	 * A user's roles, capabilities, password or profile changed.
	 *
	 * @param int|string $user_id User id.
	 * @return void
	 */
	public function user_changed( $user_id ): void {
		$this->invalidate( array( 'tags' => array( 'user:' . (int) $user_id ) ) );
	}

	/**
	 * Capabilities meta written directly.
	 *
	 * @param mixed      $meta_ids Meta id(s).
	 * @param int|string $user_id  User id.
	 * @param string     $meta_key Meta key.
	 * @return void
	 */
	public function user_meta_changed( $meta_ids, $user_id, $meta_key ): void {
		global $wpdb;
		if ( $wpdb->get_blog_prefix() . 'capabilities' === $meta_key ) {
			$this->user_changed( $user_id );
		}
	}

	/**
	 * An option changed: the plugin's options (course mappings included) or the role table.
	 *
	 * @param string $option Option name.
	 * @return void
	 */
	public function option_changed( $option ): void {
		global $wpdb;
		$option = (string) $option;
		if ( $wpdb->get_blog_prefix() . 'user_roles' === $option ) {
			// A role's capabilities changed: every cached identity may be wrong.
			$this->invalidate( array( 'all' => true ) );
		} elseif ( 0 === strpos( $option, 'slbp_' ) && 0 !== strpos( $option, 'slbp_sidecar_' ) ) {
			// slbp_sidecar_* are this shim's own options (settings, taken-over cron events), not the plugin's.
			$this->invalidate( array( 'tags' => array( 'options' ) ) );
		}
	}

	/**
	 * Posts the invalidation. Failures are not the caller's problem: the change in WordPress has
	 * happened, and the sidecar's cache entries expire on their own. They are logged under WP_DEBUG.
	 *
	 * @param array<string, mixed> $payload {tags: [...]} or {all: true}.
	 * @return void
	 */
	private function invalidate( array $payload ): void {
		$key = (string) wp_json_encode( $payload );
		if ( isset( $this->sent[ $key ] ) ) {
			return;
		}
		$this->sent[ $key ] = true;
		$result             = $this->client->json( 'POST', '/cache/invalidate', $payload, SLBP_Sidecar_Client::SYSTEM_USER );
		if ( defined( 'WP_DEBUG' ) && WP_DEBUG && ( is_wp_error( $result ) || $result['status'] >= 300 ) ) {
			$why = is_wp_error( $result ) ? $result->get_error_message() : 'HTTP ' . $result['status'];
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			error_log( 'SkyLearn Billing Sidecar: cache invalidation ' . $key . ' not applied: ' . $why );
		}
	}
}
