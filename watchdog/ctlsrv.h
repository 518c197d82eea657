/* ctlsrv: to be written. */
#ifndef SM_CTLSRV_H
#define SM_CTLSRV_H
#endif
