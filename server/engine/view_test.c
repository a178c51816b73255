#include "check.h"
#include "internal.h"
int main(void){return check_summary();}
