#include "config.h"
#include "watch.h"
