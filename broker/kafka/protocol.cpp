#include "protocol.h"

namespace rivulet::kafka {

const ApiInfo *apiInfo(std::int16_t apiKey)
{
    for (const ApiInfo &api : kApiTable)
        if (std::int16_t(api.key) == apiKey)
            return &api;
    return nullptr;
}

const char *apiName(std::int16_t apiKey)
{
    const ApiInfo *api = apiInfo(apiKey);
    return api ? api->name : "unknown";
}

} // namespace rivulet::kafka
