// Package conf reads nginx.conf syntax into a generic directive tree and
// into luring's typed configuration, so an OpenResty server block moves over
// unchanged.
//
// Place in the import graph: conf imports only the standard library; httpd
// and server import conf. A Config is built once and then shared read-only
// by every worker loop.
//
// Three layers:
//
//   - the lexer and parser (ParseTree, ParseFile) follow ngx_conf_read_token:
//     quoting, escapes, "#" comments, "$var"/"${var}" kept verbatim (see
//     SplitVars), include with globs, and *_by_lua_block bodies read as raw
//     Lua with Lua-aware brace matching;
//   - the directive table (directives.go) checks each directive as
//     ngx_conf_handler does (name, context, terminator, argument count) and
//     stores it in the typed Config; directives nginx knows but luring lacks
//     are rejected by name (Known);
//   - Load/Parse apply nginx's defaults and merge values down
//     http -> server -> location; Server.Match and HTTP.SelectServer choose
//     the location and virtual server like nginx.
//
// Every error is an *Error worded as nginx words it, with the file and line
// nginx would report.
package conf
