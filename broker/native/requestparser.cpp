#include "requestparser.h"

#include "log/bytes.h"

namespace rivulet::native {
namespace {

enum class Step
{
    Ok,
    Incomplete,
    Fatal
};

// Reads fields off the front of the buffer, checking every length twice: against what
// has arrived (Incomplete) and against the maximum request size (Fatal).
struct Cursor
{
    const char *data;
    std::size_t size;
    std::size_t max;
    std::size_t pos = 0;
    QString error;

    Step need(std::size_t n)
    {
        if (n > max || pos > max - n) {
            error = QStringLiteral("request is larger than the maximum of %1 bytes").arg(max);
            return Step::Fatal;
        }
        return pos + n > size ? Step::Incomplete : Step::Ok;
    }
    Step i64(std::int64_t &v)
    {
        const Step s = need(8);
        if (s == Step::Ok) {
            v = be::readI64(data + pos);
            pos += 8;
        }
        return s;
    }
    Step u32(std::uint32_t &v)
    {
        const Step s = need(4);
        if (s == Step::Ok) {
            v = be::readU32(data + pos);
            pos += 4;
        }
        return s;
    }
    Step str(QByteArrayView &v)
    {
        std::uint32_t length = 0;
        const std::size_t start = pos;
        Step s = u32(length);
        if (s != Step::Ok)
            return s;
        s = need(length);
        if (s != Step::Ok) {
            pos = start;
            return s;
        }
        v = QByteArrayView(data + pos, qsizetype(length));
        pos += length;
        return Step::Ok;
    }
};

#define RIVULET_STEP(expr)                                                                         \
    do {                                                                                           \
        const Step step_ = (expr);                                                                 \
        if (step_ != Step::Ok)                                                                     \
            return finish(step_, c, result);                                                       \
    } while (0)

RequestParser::Result finish(Step step, const Cursor &c, RequestParser::Result &result)
{
    result.status =
        step == Step::Fatal ? RequestParser::Status::Fatal : RequestParser::Status::Incomplete;
    result.error = c.error;
    return result;
}

} // namespace

bool ValueIterator::next(QByteArrayView &value)
{
    if (m_end - m_p < 4)
        return false;
    const std::uint32_t length = be::readU32(m_p);
    value = QByteArrayView(m_p + 4, qsizetype(length));
    m_p += 4 + length;
    return true;
}

RequestParser::Result RequestParser::parse(const char *data, std::size_t size)
{
    Result result = parseFront(data, size);
    if (result.status != Status::Incomplete)
        m_resuming = false;
    return result;
}

RequestParser::Result RequestParser::parseFront(const char *data, std::size_t size)
{
    Result result;
    Cursor c{data, size, m_maxRequestBytes, 0, {}};
    if (size == 0)
        return result;
    Request &r = result.request;
    const auto tag = static_cast<std::uint8_t>(data[0]);
    c.pos = 1;
    switch (tag) {
    case std::uint8_t(Action::Produce): {
        r.action = Action::Produce;
        RIVULET_STEP(c.str(r.topic));
        RIVULET_STEP(c.u32(r.partition));
        RIVULET_STEP(c.u32(r.count));
        // each value takes at least its 4-byte length: refuse impossible counts up front
        RIVULET_STEP(c.need(std::size_t(r.count) * 4));
        const std::size_t valuesStart = c.pos;
        std::uint32_t scanned = 0;
        if (m_resuming) {
            c.pos = m_scanPos;
            scanned = m_scanned;
        }
        for (; scanned < r.count; ++scanned) {
            QByteArrayView ignored;
            const Step s = c.str(ignored);
            if (s != Step::Ok) {
                if (s == Step::Incomplete) {
                    m_resuming = true;
                    m_scanPos = c.pos;
                    m_scanned = scanned;
                }
                return finish(s, c, result);
            }
        }
        // remember the scan in case the consumer id has not fully arrived yet
        m_resuming = true;
        m_scanPos = c.pos;
        m_scanned = scanned;
        r.values = QByteArrayView(data + valuesStart, qsizetype(c.pos - valuesStart));
        break;
    }
    case std::uint8_t(Action::Consume):
        r.action = Action::Consume;
        RIVULET_STEP(c.str(r.topic));
        RIVULET_STEP(c.u32(r.partition));
        RIVULET_STEP(c.u32(r.offset));
        RIVULET_STEP(c.u32(r.limit));
        break;
    case std::uint8_t(Action::CreateTopic):
        r.action = Action::CreateTopic;
        RIVULET_STEP(c.str(r.topic));
        RIVULET_STEP(c.u32(r.count));
        break;
    case std::uint8_t(Action::Quit):
        r.action = Action::Quit;
        break;
    case std::uint8_t(Action::ListTopics):
        r.action = Action::ListTopics;
        break;
    case std::uint8_t(Action::ListConsumers):
        r.action = Action::ListConsumers;
        break;
    case std::uint8_t(Action::DeleteTopic):
        r.action = Action::DeleteTopic;
        RIVULET_STEP(c.str(r.topic));
        break;
    case std::uint8_t(Action::SetRetention):
        r.action = Action::SetRetention;
        RIVULET_STEP(c.str(r.topic));
        RIVULET_STEP(c.i64(r.retentionMs));
        RIVULET_STEP(c.i64(r.retentionBytes));
        break;
    case std::uint8_t(Action::SetOptions):
        r.action = Action::SetOptions;
        RIVULET_STEP(c.u32(r.options));
        break;
    default:
        result.status = Status::Fatal;
        result.error = QStringLiteral("unknown action tag %1").arg(tag);
        return result;
    }
    RIVULET_STEP(c.str(r.consumerId));
    result.status = Status::Complete;
    result.consumed = c.pos;
    return result;
}

} // namespace rivulet::native
