// libFuzzer harness: Kafka request decoding for every API and version of the API table
// (broker/kafka/schema/*.api, generated into kafkamessages.h).
//
// Input: two bytes choosing the API (an index into kApiTable) and the version (within the
// API's range), then the request body. The body is decoded with the generated reader, as
// KafkaHandler does; when it decodes, it is encoded again and that must decode to the same
// request (the reader and the writer agree on every field of every version).
#include "fuzzsupport.h"

#include "kafka/protocol.h"

#include <iterator>

using namespace rivulet;
using namespace rivulet::kafka;

namespace {

template <class Request> void decode(std::int16_t version, QByteArrayView body)
{
    Reader in(body);
    Request request;
    request.read(in, version);
    if (!in.ok())
        return;
    if (in.remaining() < 0 || in.remaining() > body.size())
        fuzz::fail("the reader moved outside the body");
    QByteArray again;
    Writer out(again);
    request.write(out, version);
    Reader reread(again);
    Request second;
    second.read(reread, version);
    if (!reread.ok() || reread.remaining() != 0)
        fuzz::fail("a decoded request, encoded again, does not decode");
    if (!(second == request))
        fuzz::fail("a decoded request, encoded again, decodes to something else");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    fuzz::Input in(data, size);
    const ApiInfo &api = kApiTable[in.u8() % std::size(kApiTable)];
    const int versions = api.maxVersion - api.minVersion + 1;
    const auto version = std::int16_t(api.minVersion + in.u8() % versions);
    const QByteArrayView body = in.rest();
    switch (api.key) {
#define RIVULET_DECODE(Name)                                                                       \
    case ApiKey::Name:                                                                             \
        decode<Name##Request>(version, body);                                                      \
        break;
        RIVULET_KAFKA_APIS(RIVULET_DECODE)
#undef RIVULET_DECODE
    }
    return 0;
}
