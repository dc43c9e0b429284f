package conf

import "strings"

// Known reports whether name is a directive of nginx, OpenResty's bundled
// modules or the test helper modules lua-nginx-module's t/ relies on, but
// luring does not implement it yet. Such directives are rejected with
// "directive "x" is not supported by luring yet" rather than as unknown.
func Known(name string) bool {
	if _, ok := knownDirectives[name]; ok {
		return true
	}
	for _, p := range knownPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return strings.HasSuffix(name, "_by_lua") ||
		strings.HasSuffix(name, "_by_lua_block") ||
		strings.HasSuffix(name, "_by_lua_file")
}

// knownPrefixes are directive families of nginx/OpenResty modules that
// luring lacks as a whole; any name in them counts as known.
var knownPrefixes = []string{
	"proxy_", "fastcgi_", "uwsgi_", "scgi_", "grpc_", "memcached_",
	"ssl_", "lua_ssl_", "gzip_", "echo_", "more_",
	"limit_req", "limit_conn", "auth_", "userid", "js_", "mirror",
	"sub_filter", "ssi", "set_", "srcache_", "redis2_", "drizzle_",
	"postgres_", "rds_", "xss_", "array_", "headers_more", "stream",
}

var knownDirectives = map[string]struct{}{}

func init() {
	for _, n := range strings.Fields(`
		accept_filter add_after_body add_before_body 
		add_trailer addition_types aio aio_write alias allow ancient_browser
		autoindex autoindex_exact_size autoindex_format autoindex_localtime
		break charset charset_map charset_types chunked_transfer_encoding
		connection_pool_size
		create_full_put_path dav_access dav_methods debug_connection debug_points
		 deny directio directio_alignment disable_symlinks empty_gif
		etag events_debug expires fastcgi_pass flv geo geoip_city
		geoip_country gunzip gzip hash health_check http2 http2_max_concurrent_streams
		http3 if if_modified_since ignore_invalid_headers image_filter
		 ip_hash keepalive keepalive_time 
		 least_conn limit_except limit_rate
		limit_rate_after lingering_close lingering_time lingering_timeout
		load_module lock_file log_not_found log_subrequest map map_hash_bucket_size
		map_hash_max_size master_process_timeout max_ranges merge_slashes min_delete_depth
		mp4 msie_padding msie_refresh open_file_cache open_file_cache_errors
		open_file_cache_min_uses open_file_cache_valid open_log_file_cache
		output_buffers pcre_jit port_in_redirect postpone_output random
		random_index read_ahead real_ip_header real_ip_recursive recursive_error_pages
		request_pool_size reset_timedout_connection
		 rewrite rewrite_log satisfy secure_link secure_link_md5
		secure_link_secret send_lowat  sendfile_max_chunk server_name_in_redirect
		server_names_hash_bucket_size server_names_hash_max_size
		slice split_clients   status_zone stub_status
		subrequest_output_buffer_size tcp_nopush thread_pool timer_resolution
		try_files types types_hash_bucket_size types_hash_max_size
		underscores_in_headers uninitialized_variable_warn upstream
		valid_referers variables_hash_bucket_size variables_hash_max_size
		worker_aio_requests worker_cpu_affinity worker_priority worker_rlimit_core
		worker_rlimit_nofile worker_shutdown_timeout working_directory xml_entities
		xslt_stylesheet xslt_types zone sticky ssl user quic_retry
		google_perftools_profiles debug_connection devpoll_changes devpoll_events
		epoll_events kqueue_changes kqueue_events worker_aio_requests
		accept_mutex_delay  sendfile_max_chunk 
		 set_real_ip_from mail imap_capabilities pop3_capabilities smtp_auth
		
		echo echo_sleep echo_duplicate
		echo_flush echo_read_request_body echo_subrequest echo_reset_timer
		more_set_headers more_clear_headers more_set_input_headers more_clear_input_headers

		body_filter_by_lua body_filter_by_lua_block
		body_filter_by_lua_file exit_worker_by_lua
		exit_worker_by_lua_block exit_worker_by_lua_file balancer_by_lua_block
		balancer_by_lua_file server_rewrite_by_lua_block server_rewrite_by_lua_file
		precontent_by_lua_block precontent_by_lua_file
		ssl_certificate_by_lua_block ssl_certificate_by_lua_file
		ssl_client_hello_by_lua_block ssl_client_hello_by_lua_file
		ssl_session_fetch_by_lua_block ssl_session_fetch_by_lua_file
		ssl_session_store_by_lua_block ssl_session_store_by_lua_file
		lua_shared_dict

		lua_max_pending_timers lua_max_running_timers lua_regex_cache_max_entries
		lua_regex_match_limit lua_thread_cache_max_entries lua_sa_restart
		lua_capture_error_log lua_malloc_trim lua_worker_thread_vm_pool_size
		lua_ssl_trusted_certificate lua_ssl_verify_depth lua_ssl_protocols
		lua_ssl_ciphers lua_ssl_crl lua_ssl_certificate lua_ssl_certificate_key
		lua_ssl_conf_command lua_ssl_key_log lua_ssl_verify
		rewrite_by_lua_no_postpone access_by_lua_no_postpone precontent_by_lua_no_postpone
		lua_sa_restart 
		 
		gzip gzip_static gzip_types gunzip
	`) {
		knownDirectives[n] = struct{}{}
	}
}
