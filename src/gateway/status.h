/*
 * status.h — reason phrases for status codes, on their own so the table can
 * come from http-parser while the gateway's parsing is llhttp (the two
 * libraries' headers cannot share a translation unit: both define HTTP_GET,
 * HPE_OK, ...).
 */
#ifndef GW_STATUS_H
#define GW_STATUS_H

/* The reason phrase of a status code ("Not Found"); "<unknown>" when unknown. */
const char *gw_status_text(int status);

#endif
