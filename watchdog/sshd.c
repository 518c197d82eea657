#include "config.h"
#include "sshd.h"
