/* ctl.c: to be written (see ctl.h). */
#include "config.h"
#include "ctl.h"
