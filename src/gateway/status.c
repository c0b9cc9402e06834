/* status.c — see status.h. */
#include "gateway/status.h"

#include <http_parser.h>

const char *gw_status_text(int status) { return http_status_str((enum http_status)status); }
