/* report.c: to be written (see report.h). */
#include "config.h"
#include "report.h"
