#include "config.h"
#include "ctlsrv.h"
