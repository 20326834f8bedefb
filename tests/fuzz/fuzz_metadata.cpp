// libFuzzer harness: the loaders of the data directory's metadata files: topics.json,
// consumers.json (native consumer positions), groups.json (Kafka group offsets) and
// transactions.json (broker/log/datadir.*, Broker::openDataDir, restoreTransactions,
// TransactionCoordinator::restore).
//
// Input: one byte choosing which file the rest replaces (topics, consumers, groups,
// transactions); the other three hold valid metadata naming the same topic, so that what is
// restored from the fuzzed file meets real topics, positions and transactions. The broker
// opens the directory as after a crash; when it opens, it shuts down cleanly (saving its
// metadata) and a second broker must open what the first one saved.
#include "fuzzsupport.h"

#include "broker.h"
#include "metadataseeds.h"

using namespace rivulet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    fuzz::ensureApplication();
    fuzz::Input in(data, size);
    const int fuzzed = in.u8() % 4;
    const QString dir = fuzz::freshDir(QStringLiteral("data"));
    for (int i = 0; i < 4; ++i)
        fuzz::writeFile(dir + QLatin1Char('/') + QLatin1String(fuzz::kMetadataFiles[i]),
                        i == fuzzed ? in.rest() : QByteArrayView(fuzz::kValidMetadata[i]));

    BrokerConfig config;
    config.log.fsync = FsyncPolicy::Never;
    {
        Broker broker(config);
        QStringList notes;
        QString error;
        if (!broker.openDataDir(dir, notes, error)) {
            if (error.isEmpty())
                fuzz::fail("a data directory that does not open gives no reason");
            return 0;
        }
        (void)broker.snapshot();
        broker.shutdown();
    }
    Broker again(config);
    QStringList notes;
    QString error;
    if (!again.openDataDir(dir, notes, error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        fuzz::fail("the metadata a broker saved cannot be opened again");
    }
    return 0;
}
