/*
 * services: the one place that knows every API service; each registers its own routes.
 * Add a service by adding its registration call here.
 */
#include "http/router.h"
#include "ai/service.h"
#include "auth/service.h"
#include "rest/service.h"
#include "storage/service.h"

void sb_services_register(void)
{
    sb_auth_register();
    sb_rest_register();
    sb_storage_register();
    sb_functions_register();
}
