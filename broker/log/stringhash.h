#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace rivulet {

// Lets unordered maps keyed by std::string be searched with a string_view, without building
// a std::string per lookup on the request path.
struct StringHash
{
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

} // namespace rivulet
