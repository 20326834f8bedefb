// libFuzzer harness: the native request parser (broker/native/requestparser.*) and the
// handler behind it, on an in-memory broker.
//
// Input: one byte choosing how the bytes arrive (chunk sizes), then the bytes a client sends.
// The bytes are fed as a connection would receive them, a chunk at a time, and every request
// the parser completes is carried out by a NativeHandler. Checked besides the sanitizers:
// parsing in chunks finds the same requests as parsing everything at once, a complete
// request never claims more bytes than there are, and a Produce's values walk to its end.
#include "fuzzsupport.h"

#include "broker.h"
#include "native/nativehandler.h"
#include "native/requestparser.h"

using namespace rivulet;
using namespace rivulet::native;

namespace {

bool sameRequest(const Request &a, const Request &b)
{
    return a.action == b.action && a.topic == b.topic && a.partition == b.partition &&
           a.offset == b.offset && a.limit == b.limit && a.count == b.count &&
           a.options == b.options && a.retentionMs == b.retentionMs &&
           a.retentionBytes == b.retentionBytes && a.values == b.values &&
           a.consumerId == b.consumerId;
}

void checkValues(const Request &r)
{
    if (r.action != Action::Produce)
        return;
    ValueIterator it(r.values);
    QByteArrayView value;
    std::uint32_t n = 0;
    qsizetype bytes = 0;
    while (it.next(value)) {
        ++n;
        bytes += 4 + value.size();
        if (bytes > r.values.size())
            fuzz::fail("a Produce value runs past the request's values");
    }
    if (n != r.count || bytes != r.values.size())
        fuzz::fail("a Produce's values do not add up to its count");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    fuzz::ensureApplication();
    fuzz::Input in(data, size);
    const std::size_t chunk = 1 + in.u8() % 64;
    // a small maximum, so that the refusal of requests over it is reached too
    const std::size_t maxRequest = 4096;
    const QByteArray stream = in.rest().toByteArray();

    Broker broker;
    NativeHandler handler(broker, "127.0.0.1:1");
    RequestParser parser(maxRequest);
    QByteArray buffer; // received and not yet consumed
    qsizetype fed = 0;
    while (fed < stream.size()) {
        const qsizetype n = std::min<qsizetype>(qsizetype(chunk), stream.size() - fed);
        buffer.append(stream.constData() + fed, n);
        fed += n;
        for (;;) {
            const auto result = parser.parse(buffer.constData(), std::size_t(buffer.size()));
            // the same bytes parsed in one go by a parser that saw nothing before
            RequestParser whole(maxRequest);
            const auto once = whole.parse(buffer.constData(), std::size_t(buffer.size()));
            if (result.status != once.status || result.consumed != once.consumed)
                fuzz::fail("parsing in chunks and at once disagree");
            if (result.status == RequestParser::Status::Incomplete)
                break;
            QByteArray out;
            if (result.status == RequestParser::Status::Fatal) {
                if (result.error.isEmpty())
                    fuzz::fail("a refused request has no reason");
                handler.refuse(result.error, out);
                return 0;
            }
            if (result.consumed == 0 || result.consumed > std::size_t(buffer.size()))
                fuzz::fail("a complete request claims more bytes than arrived");
            if (!sameRequest(result.request, once.request))
                fuzz::fail("parsing in chunks and at once find different requests");
            checkValues(result.request);
            const auto outcome = handler.handle(result.request, out);
            buffer.remove(0, qsizetype(result.consumed));
            if (outcome == NativeHandler::Outcome::Close)
                return 0;
        }
    }
    return 0;
}
