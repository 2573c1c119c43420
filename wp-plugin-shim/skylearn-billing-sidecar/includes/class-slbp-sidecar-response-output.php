<?php
/**
 * How WordPress prints the sidecar's answers.
 *
 * @package SkyLearnBillingSidecar
 */

declare(strict_types=1);

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Hooks into WordPress's serving of REST answers for SLBP_Sidecar_Response: a non-JSON body is
 * printed as it came, a top level the sidecar answered as an object is printed as one (after
 * core's `_fields` and `_embed` worked on it as an array), and `_envelope` wraps either.
 */
final class SLBP_Sidecar_Response_Output {

	/**
	 * Answers whose top level is printed as an object again, keyed by request object id.
	 *
	 * @var array<int, SLBP_Sidecar_Response>
	 */
	private array $printing = array();

	/**
	 * Hooks in.
	 *
	 * @return void
	 */
	public function register(): void {
		add_filter( 'rest_envelope_response', array( $this, 'envelope' ), 10, 2 );
		add_filter( 'rest_pre_serve_request', array( $this, 'serve' ), 10, 4 );
		add_filter( 'rest_pre_echo_response', array( $this, 'echo_data' ), 10, 3 );
	}

	/**
	 * `_envelope`: the envelope's body is what the sidecar answered (a non-JSON body as a string).
	 *
	 * @param array            $envelope Envelope (body, status, headers).
	 * @param WP_REST_Response $response Response being enveloped.
	 * @return array
	 */
	public function envelope( $envelope, $response ) {
		if ( $response instanceof SLBP_Sidecar_Response && is_array( $envelope ) && array_key_exists( 'body', $envelope ) ) {
			$envelope['body'] = $response->printed( $envelope['body'] );
		}
		return $envelope;
	}

	/**
	 * Prints a non-JSON sidecar answer (Prometheus text, ...) as it came, instead of letting
	 * WordPress JSON-encode it; notes a JSON answer whose top level must print as an object.
	 *
	 * @param bool             $served  Whether the request was already served.
	 * @param mixed            $result  Response about to be served.
	 * @param WP_REST_Request  $request Request.
	 * @param WP_REST_Server   $server  Server.
	 * @return bool
	 */
	public function serve( $served, $result, $request, $server ) {
		if ( $served || ! $result instanceof SLBP_Sidecar_Response ) {
			return $served;
		}
		if ( $result->print_raw( $server ) ) {
			return true;
		}
		if ( $result->has_object_root() && is_object( $request ) ) {
			$this->printing[ spl_object_id( $request ) ] = $result;
		}
		return $served;
	}

	/**
	 * The data WordPress is about to print, with the top level an object again where the
	 * sidecar's was one (`{}` stays `{}`).
	 *
	 * @param mixed           $data    Response data.
	 * @param WP_REST_Server  $server  Server.
	 * @param WP_REST_Request $request Request.
	 * @return mixed
	 */
	public function echo_data( $data, $server, $request ) {
		$id = is_object( $request ) ? spl_object_id( $request ) : 0;
		if ( ! isset( $this->printing[ $id ] ) ) {
			return $data;
		}
		$response = $this->printing[ $id ];
		unset( $this->printing[ $id ] );
		return $response->printed( $data );
	}
}
