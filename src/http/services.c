/*
 * services: the one place that knows every API service; each registers its own routes.
 * Add a service by adding its registration call here.
 */
#include "http/router.h"

#include "auth/service.h"

void sb_services_register(void)
{
    sb_auth_register();
}
