<?php
/**
 * A sidecar answer as a WordPress REST response.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The sidecar's status, the headers a REST client needs and its body. A JSON body becomes PHP
 * arrays, as WordPress's own routes answer, so core's `_fields`, `_embed` and `_envelope`
 * handling works on it; a non-JSON body (Prometheus text) is kept to be printed verbatim.
 */
final class SLBP_Sidecar_Response extends WP_REST_Response {

	/** Sidecar headers a REST client needs (pagination, rate limits, tracing). */
	private const PASSED_HEADERS = array(
		'x-wp-total'            => 'X-WP-Total',
		'x-wp-totalpages'       => 'X-WP-TotalPages',
		'link'                  => 'Link',
		'retry-after'           => 'Retry-After',
		'x-ratelimit-limit'     => 'X-RateLimit-Limit',
		'x-ratelimit-remaining' => 'X-RateLimit-Remaining',
		'x-ratelimit-reset'     => 'X-RateLimit-Reset',
		'x-request-id'          => 'X-Request-Id',
	);

	/**
	 * The body as it came, when it is not JSON.
	 *
	 * @var string|null
	 */
	private ?string $raw_body = null;

	/**
	 * Content type of the raw body.
	 *
	 * @var string
	 */
	private string $raw_type = '';

	/**
	 * Whether the sidecar answered a JSON object that PHP would print as a list (`{}`).
	 *
	 * @var bool
	 */
	private bool $object_root = false;

	/**
	 * Builds the response for one answer of SLBP_Sidecar_Client::send().
	 *
	 * @param array{status: int, body: string, headers: array<string, string>} $result Sidecar answer.
	 * @return self
	 */
	public static function from_sidecar( array $result ): self {
		$response = new self( null, $result['status'] );
		foreach ( self::PASSED_HEADERS as $key => $name ) {
			if ( isset( $result['headers'][ $key ] ) ) {
				$response->header( $name, $result['headers'][ $key ] );
			}
		}
		$content_type = $result['headers']['content-type'] ?? '';
		if ( false !== stripos( $content_type, 'json' ) ) {
			$decoded = json_decode( $result['body'] );
			if ( JSON_ERROR_NONE === json_last_error() ) {
				$data = self::to_data( $decoded );
				if ( $data instanceof stdClass ) {
					// Core indexes the top level as an array (_fields, _embed); it gets one, and
					// printed() makes it an object again.
					$response->object_root = true;
					$data                  = get_object_vars( $data );
				}
				$response->set_data( $data );
				return $response;
			}
		}
		$response->raw_body = $result['body'];
		$response->raw_type = '' !== $content_type ? $content_type : 'text/plain; charset=UTF-8';
		return $response;
	}

	/**
	 * A value from json_decode() (objects as stdClass) as WordPress response data: objects become
	 * associative arrays, except those PHP would print back as a JSON list (`{}`, or keys
	 * "0".."n-1"), which stay objects so `{}` never comes back as `[]`.
	 *
	 * @param mixed $value Decoded JSON.
	 * @return mixed
	 */
	public static function to_data( $value ) {
		if ( is_array( $value ) ) {
			return array_map( array( self::class, 'to_data' ), $value );
		}
		if ( ! $value instanceof stdClass ) {
			return $value;
		}
		$array = array_map( array( self::class, 'to_data' ), get_object_vars( $value ) );
		return array_is_list( $array ) ? (object) $array : $array;
	}

	/**
	 * The data to print for this answer, given what WordPress made of it (`_fields`, `_embed`):
	 * the raw body when it was not JSON, an object again when the sidecar's was one.
	 *
	 * @param mixed $data Response data after core's handling.
	 * @return mixed
	 */
	public function printed( $data ) {
		if ( null !== $this->raw_body ) {
			return $this->raw_body;
		}
		return $this->object_root && is_array( $data ) && array_is_list( $data ) ? (object) $data : $data;
	}

	/**
	 * Whether the top level has to be made an object again when printed.
	 *
	 * @return bool
	 */
	public function has_object_root(): bool {
		return $this->object_root;
	}

	/**
	 * Prints a non-JSON body as it came (instead of WordPress JSON-encoding it).
	 *
	 * @param WP_REST_Server $server Server sending the response.
	 * @return bool Whether it printed anything (false for a JSON answer).
	 */
	public function print_raw( WP_REST_Server $server ): bool {
		if ( null === $this->raw_body ) {
			return false;
		}
		$server->send_header( 'Content-Type', $this->raw_type );
		// phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- verbatim API body, not HTML.
		echo $this->raw_body;
		return true;
	}
}
