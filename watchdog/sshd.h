/* sshd: to be written. */
#ifndef SM_SSHD_H
#define SM_SSHD_H
#endif
