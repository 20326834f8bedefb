// libFuzzer harness: whole Kafka frames through KafkaHandler (the path a KafkaSession takes
// after framing, without a socket) on an in-memory broker that creates topics on demand.
//
// Input: frames back to back, each [uint16 length][frame]: the frame is what follows the
// int32 size on the wire (request header, then body). Each frame is handled in turn, on the
// same connection and broker, until the handler closes the connection. A Fetch that waits
// for data is answered at once as if its wait were over; a Produce or ListOffsets answered
// from the broker's pool (compressed batches, timestamp searches) is waited for; JoinGroup/
// SyncGroup answers that come later are dropped. Checked besides the sanitizers: every answer
// starts with the request's correlation id.
#include "fuzzsupport.h"

#include "broker.h"
#include "kafka/kafkahandler.h"
#include "log/bytes.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

using namespace rivulet;
using namespace rivulet::kafka;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    fuzz::ensureApplication();
    fuzz::Input in(data, size);
    BrokerConfig brokerConfig;
    brokerConfig.groupInitialRebalanceDelayMs = 0;
    Broker broker(brokerConfig);
    KafkaConfig config;
    config.maxFrameBytes = 1 << 16;
    auto stats =
        std::make_shared<ClientStats>(QStringLiteral("127.0.0.1:1"), QStringLiteral("kafka"), 0);
    KafkaHandler handler(broker, config, stats, QStringLiteral("127.0.0.1"));
    struct Later
    {
        std::mutex mutex;
        std::condition_variable arrived;
        std::optional<QByteArray> response;
    };
    auto later = std::make_shared<Later>();
    const KafkaHandler::Sink sink = [later](QByteArray response) {
        std::lock_guard lock(later->mutex);
        later->response = std::move(response);
        later->arrived.notify_all();
    };
    while (in.left() >= 2) {
        const QByteArray frame = in.take(in.u16()).toByteArray();
        if (frame.size() < 8)
            break; // the session closes a connection that sends a frame this short
        const std::int32_t correlationId = be::readI32(frame.constData() + 4);
        auto outcome = handler.handle(frame, sink);
        using Kind = KafkaHandler::Outcome::Kind;
        if (outcome.kind == Kind::Close)
            break;
        if (outcome.kind == Kind::WaitForData) {
            // past any max_wait_ms (an int32 of milliseconds)
            auto response = handler.retryFetch(Broker::nowMs() + (std::int64_t(1) << 32));
            if (!response)
                fuzz::fail("a waiting Fetch does not answer when its wait is over");
            outcome.response = *response;
            outcome.kind = Kind::Respond;
        }
        if (outcome.kind == Kind::Respond &&
            (outcome.response.size() < 4 ||
             be::readI32(outcome.response.constData()) != correlationId))
            fuzz::fail("a response does not start with its request's correlation id");
        const std::int16_t apiKey = be::readI16(frame.constData());
        if (outcome.kind == Kind::Deferred && (apiKey == 0 || apiKey == 2)) {
            // Produce, ListOffsets: answered by the broker's pool, soon
            std::unique_lock lock(later->mutex);
            if (!later->arrived.wait_for(lock, std::chrono::seconds(10),
                                         [&] { return later->response.has_value(); }))
                fuzz::fail("a Produce or ListOffsets handled off the worker is never answered");
            const QByteArray response = *std::exchange(later->response, std::nullopt);
            if (!response.isNull() &&
                (response.size() < 4 || be::readI32(response.constData()) != correlationId))
                fuzz::fail("a response does not start with its request's correlation id");
            continue;
        }
        if (outcome.kind == Kind::Deferred)
            break; // the session reads nothing more until the answer is sent
    }
    return 0;
}
