<?php
/**
 * A WP_List_Table whose rows come from a sidecar collection route.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

if ( ! class_exists( 'WP_List_Table' ) ) {
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
}

/**
 * Pages through a sidecar collection (`page`, `per_page`, `X-WP-Total`) with WordPress's own list
 * table: sorting, pagination, search box and filters are WordPress's markup, so they look and work
 * like every other admin list (keyboard, screen readers, the mobile layout).
 */
abstract class SLBP_Sidecar_List_Table extends WP_List_Table {

	/**
	 * Shared context.
	 *
	 * @var SLBP_Sidecar_Admin
	 */
	protected SLBP_Sidecar_Admin $admin;

	/**
	 * Why the rows could not be read, if they could not.
	 *
	 * @var WP_Error|null
	 */
	public ?WP_Error $error = null;

	/**
	 * WordPress users of the rows on this page, by id.
	 *
	 * @var array<int, WP_User>
	 */
	protected array $users = array();

	/**
	 * Rows per page.
	 *
	 * @var int
	 */
	protected int $per_page = 20;

	/**
	 * Builds the table.
	 *
	 * @param SLBP_Sidecar_Admin $admin  Shared context.
	 * @param string             $plural Plural name (CSS class, screen reader texts).
	 */
	public function __construct( SLBP_Sidecar_Admin $admin, string $plural ) {
		$this->admin = $admin;
		parent::__construct( array( 'plural' => $plural, 'singular' => rtrim( $plural, 's' ), 'ajax' => false ) );
	}

	/**
	 * The collection route.
	 *
	 * @return string
	 */
	abstract protected function route(): string;

	/**
	 * The filters of the request as the route's query, or null when they can match nothing.
	 *
	 * @return array<string, mixed>|null
	 */
	abstract protected function query(): ?array;

	/**
	 * A GET parameter of this list request, sanitized ('' when absent).
	 *
	 * @param string $name Parameter.
	 * @return string
	 */
	protected static function param( string $name ): string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- read-only list filters, as WordPress's own lists.
		return isset( $_GET[ $name ] ) && is_string( $_GET[ $name ] ) ? sanitize_text_field( wp_unslash( $_GET[ $name ] ) ) : '';
	}

	/**
	 * `orderby` and `order` of the request, when the column is sortable.
	 *
	 * @return array<string, string>
	 */
	protected function sorting(): array {
		$sortable = array();
		foreach ( $this->get_sortable_columns() as $column ) {
			$sortable[] = is_array( $column ) ? $column[0] : $column;
		}
		$orderby = self::param( 'orderby' );
		if ( ! in_array( $orderby, $sortable, true ) ) {
			return array();
		}
		return array( 'orderby' => $orderby, 'order' => 'asc' === strtolower( self::param( 'order' ) ) ? 'asc' : 'desc' );
	}

	/**
	 * A local date (`YYYY-MM-DD`, the site's time zone) as an ISO 8601 time; `$end` gives the day's end.
	 *
	 * @param string $date Date.
	 * @param bool   $end  Whether to give the first second of the next day.
	 * @return string|null
	 */
	protected static function local_day( string $date, bool $end ): ?string {
		if ( ! preg_match( '/^\d{4}-\d{2}-\d{2}$/', $date ) ) {
			return null;
		}
		try {
			$day = new DateTimeImmutable( $date . ' 00:00:00', wp_timezone() );
		} catch ( Exception $e ) {
			return null;
		}
		// The routes' `after` is exclusive (as WordPress's): one second before midnight includes it.
		return ( $end ? $day->modify( '+1 day' ) : $day->modify( '-1 second' ) )->format( DATE_ATOM );
	}

	/**
	 * Reads one page of rows from the sidecar.
	 *
	 * @return void
	 */
	public function prepare_items() {
		$this->_column_headers = array( $this->get_columns(), array(), $this->get_sortable_columns(), $this->get_primary_column_name() );
		$this->items           = array();
		$query                 = $this->query();
		if ( null === $query ) {
			$this->set_pagination_args( array( 'total_items' => 0, 'per_page' => $this->per_page ) );
			return;
		}
		$query  = array_merge( $query, $this->sorting(), array( 'page' => $this->get_pagenum(), 'per_page' => $this->per_page ) );
		$result = $this->admin->call( 'GET', $this->route(), $query );
		$data   = SLBP_Sidecar_Admin::ok( $result );
		if ( is_wp_error( $data ) ) {
			$this->error = $data;
			$this->set_pagination_args( array( 'total_items' => 0, 'per_page' => $this->per_page ) );
			return;
		}
		$this->items = array_values( array_filter( $data, 'is_array' ) );
		$this->users = SLBP_Sidecar_Format::users_of( $this->items );
		$total       = is_array( $result ) ? (int) ( $result['headers']['x-wp-total'] ?? count( $this->items ) ) : 0;
		$this->set_pagination_args( array( 'total_items' => $total, 'per_page' => $this->per_page ) );
	}

	/**
	 * A select filter with its label (visible to screen readers).
	 *
	 * @param string                $name    Parameter.
	 * @param string                $label   Label.
	 * @param array<string, string> $options Value → label; '' is "all".
	 * @return void
	 */
	protected function select( string $name, string $label, array $options ): void {
		$id = 'slbp-filter-' . $name;
		printf( '<label for="%1$s" class="screen-reader-text">%2$s</label><select id="%1$s" name="%3$s">', esc_attr( $id ), esc_html( $label ), esc_attr( $name ) );
		foreach ( $options as $value => $text ) {
			printf( '<option value="%s"%s>%s</option>', esc_attr( (string) $value ), selected( self::param( $name ), (string) $value, false ), esc_html( $text ) );
		}
		echo '</select>';
	}

	/**
	 * A text or date filter with its label (visible to screen readers).
	 *
	 * @param string $name  Parameter.
	 * @param string $label Label.
	 * @param string $type  Input type.
	 * @param string $extra Extra attributes (trusted).
	 * @return void
	 */
	protected function input( string $name, string $label, string $type, string $extra = '' ): void {
		$id = 'slbp-filter-' . $name;
		printf(
			'<label for="%1$s" class="screen-reader-text">%2$s</label><input id="%1$s" type="%3$s" name="%4$s" value="%5$s" placeholder="%2$s" %6$s>',
			esc_attr( $id ),
			esc_html( $label ),
			esc_attr( $type ),
			esc_attr( $name ),
			esc_attr( self::param( $name ) ),
			$extra // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- literal attributes from this class.
		);
	}

	/**
	 * The message when there are no rows (or when they could not be read).
	 *
	 * @return void
	 */
	public function no_items() {
		if ( null !== $this->error ) {
			/* translators: %s: error message */
			echo esc_html( sprintf( __( 'The billing service could not be read: %s', 'skylearn-billing-sidecar' ), $this->error->get_error_message() ) );
			return;
		}
		esc_html_e( 'Nothing matches these filters.', 'skylearn-billing-sidecar' );
	}

	/**
	 * Default cell: the field as text.
	 *
	 * @param array<string, mixed> $item        Row.
	 * @param string               $column_name Column.
	 * @return string
	 */
	protected function column_default( $item, $column_name ) {
		$value = $item[ $column_name ] ?? '';
		return esc_html( is_scalar( $value ) ? (string) $value : (string) wp_json_encode( $value ) );
	}
}
