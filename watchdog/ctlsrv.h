/*
 * The daemon's side of the control socket: root-only (SO_PEERCRED), one
 * request line in, one JSON document out.
 */
#ifndef SM_CTLSRV_H
#define SM_CTLSRV_H

struct daemon;

/* Accepts and answers every pending connection on d->ctlfd. */
void	ctlsrv_handle(struct daemon *d);

#endif
