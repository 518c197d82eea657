/* conf.c: to be written (see conf.h). */
#include "config.h"
#include "conf.h"
