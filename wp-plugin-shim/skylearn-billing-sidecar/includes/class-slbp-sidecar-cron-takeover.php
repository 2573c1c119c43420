<?php
/**
 * One scheduler per job: the sidecar's, not the plugin's WP-cron copy of it.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * While the shim is active and configured, takes SkyLearn Billing Pro's WP-cron hooks whose work
 * the sidecar's jobs do off WordPress's schedule (backups, expiry notices, alerts, metric
 * snapshots), refuses the plugin's attempts to schedule them again (it retries on every page
 * load), and remembers each event so deactivating the shim, or clearing its settings, puts them
 * back as they were. The sidecar's /ready and /health/detailed say when any is still scheduled.
 */
final class SLBP_Sidecar_Cron_Takeover {

	/**
	 * The duplicated hooks; the sidecar checks the same list (src/data/plugin-cron.ts).
	 *
	 * @var string[]
	 */
	public const HOOKS = array( 'slbp_daily_cron', 'slbp_subscription_check', 'slbp_daily_backup', 'slbp_cleanup_old_backups', 'slbp_check_alerts', 'slbp_collect_metrics', 'slbp_cleanup_logs' );

	/** Option holding the events taken off the schedule, to put back later. */
	public const OPTION = 'slbp_sidecar_cron_takeover';

	/**
	 * Hooks into WordPress: takes the jobs over when the sidecar is configured, gives them back otherwise.
	 *
	 * @param bool $configured Whether the shim knows its sidecar.
	 * @return void
	 */
	public static function register( bool $configured ): void {
		if ( ! $configured ) {
			add_action( 'admin_init', array( self::class, 'give_back' ) );
			return;
		}
		add_filter( 'pre_schedule_event', array( self::class, 'refuse' ), 10, 2 );
		add_filter( 'pre_reschedule_event', array( self::class, 'refuse' ), 10, 2 );
		// Last on init: after the plugin's own scheduling (init, priority 2), which the filters refuse.
		add_action( 'init', array( self::class, 'take_over' ), PHP_INT_MAX );
	}

	/**
	 * Activation hook.
	 *
	 * @return void
	 */
	public static function activate(): void {
		if ( SLBP_Sidecar_Settings::load()->is_configured() ) {
			self::take_over();
		}
	}

	/**
	 * Deactivation hook: the plugin's jobs go back on WordPress's schedule.
	 *
	 * @return void
	 */
	public static function deactivate(): void {
		self::give_back();
	}

	/**
	 * Filter for pre_schedule_event and pre_reschedule_event: refuses the duplicated hooks.
	 *
	 * @param null|bool|WP_Error $pre   Another filter's answer, or null.
	 * @param object             $event The event being scheduled.
	 * @return null|bool|WP_Error
	 */
	public static function refuse( $pre, $event ) {
		if ( null !== $pre || ! is_object( $event ) || ! in_array( $event->hook ?? '', self::HOOKS, true ) ) {
			return $pre;
		}
		self::remember( (string) $event->hook, (int) $event->timestamp, $event->schedule ?? false, is_array( $event->args ?? null ) ? $event->args : array() );
		return false;
	}

	/**
	 * Unschedules every duplicated hook still on WordPress's schedule, remembering each.
	 *
	 * @return void
	 */
	public static function take_over(): void {
		$crons = _get_cron_array();
		if ( ! is_array( $crons ) ) {
			return;
		}
		foreach ( $crons as $timestamp => $hooks ) {
			foreach ( self::HOOKS as $hook ) {
				if ( empty( $hooks[ $hook ] ) || ! is_array( $hooks[ $hook ] ) ) {
					continue;
				}
				foreach ( $hooks[ $hook ] as $event ) {
					$args = is_array( $event['args'] ?? null ) ? $event['args'] : array();
					self::remember( $hook, (int) $timestamp, $event['schedule'] ?? false, $args );
					wp_unschedule_event( (int) $timestamp, $hook, $args );
				}
			}
		}
	}

	/**
	 * Puts every remembered event back on WordPress's schedule (unless it is there already).
	 *
	 * @return void
	 */
	public static function give_back(): void {
		remove_filter( 'pre_schedule_event', array( self::class, 'refuse' ), 10 );
		remove_filter( 'pre_reschedule_event', array( self::class, 'refuse' ), 10 );
		$taken = get_option( self::OPTION, array() );
		if ( ! is_array( $taken ) || ! $taken ) {
			return;
		}
		foreach ( $taken as $event ) {
			$hook = (string) ( $event['hook'] ?? '' );
			$args = is_array( $event['args'] ?? null ) ? $event['args'] : array();
			if ( '' === $hook || false !== wp_next_scheduled( $hook, $args ) ) {
				continue;
			}
			$when = max( (int) ( $event['timestamp'] ?? 0 ), time() );
			if ( ! empty( $event['schedule'] ) ) {
				wp_schedule_event( $when, (string) $event['schedule'], $hook, $args );
			} else {
				wp_schedule_single_event( $when, $hook, $args );
			}
		}
		delete_option( self::OPTION );
	}

	/**
	 * Records one event taken off (or refused), once per hook and arguments.
	 *
	 * @param string      $hook      Hook name.
	 * @param int         $timestamp Next run.
	 * @param string|bool $schedule  Recurrence name, or false for a single event.
	 * @param array       $args      Event arguments.
	 * @return void
	 */
	private static function remember( string $hook, int $timestamp, $schedule, array $args ): void {
		$taken = get_option( self::OPTION, array() );
		$taken = is_array( $taken ) ? $taken : array();
		$key   = $hook . ':' . md5( serialize( $args ) );
		if ( isset( $taken[ $key ] ) ) {
			return;
		}
		$taken[ $key ] = array(
			'hook'      => $hook,
			'timestamp' => $timestamp,
			'schedule'  => $schedule,
			'args'      => $args,
		);
		// Autoloaded: the plugin tries to schedule some hooks on every page load, and each try reads it.
		update_option( self::OPTION, $taken, true );
	}
}
