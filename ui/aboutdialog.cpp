#include "aboutdialog.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QFile>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

namespace rivulet {
namespace {

// The libraries the rivulet executables link (CMakeLists.txt of broker/, ui/ and app/),
// with the licence each is used under.
struct Library
{
    const char *name;
    const char *use;
    const char *licence;
};

constexpr Library kLibraries[] = {
    {"Qt 6", "Core, Network, Gui and Widgets", "GNU LGPL version 3"},
    {"zlib", "gzip record batches", "zlib licence"},
    {"Zstandard (zstd)", "zstd record batches", "BSD-3-Clause (or GPL-2.0)"},
    {"LZ4", "lz4 record batches", "BSD-2-Clause"},
    {"Snappy", "snappy record batches", "BSD-3-Clause"},
};

QString row(const QString &label, const QString &value)
{
    return QStringLiteral("<tr><td style='padding-right:12px'>%1</td><td>%2</td></tr>")
        .arg(label.toHtmlEscaped(), value);
}

QString listenerName(const QString &protocol)
{
    if (protocol == QLatin1String("kafka"))
        return AboutDialog::tr("Kafka protocol");
    if (protocol == QLatin1String("native"))
        return AboutDialog::tr("Native protocol");
    return protocol;
}

} // namespace

QIcon applicationIcon()
{
    QIcon icon;
    for (int size : {16, 32, 48, 64, 128, 256}) {
        const QString file = QStringLiteral(":/icons/rivulet-%1.png").arg(size);
        if (QFile::exists(file))
            icon.addFile(file, QSize(size, size));
    }
    return icon;
}

AboutDialog::AboutDialog(const Info &info, QWidget *parent)
    : QDialog(parent), m_text(new QLabel(this))
{
    setWindowTitle(tr("About Rivulet"));
    setObjectName(QStringLiteral("aboutDialog"));

    QString html = QStringLiteral("<h2>Rivulet %1</h2><p>%2</p><table>")
                       .arg(QCoreApplication::applicationVersion().toHtmlEscaped(),
                            tr("A Kafka-compatible message broker with a live window into it."));
    if (info.source.kind != SourceInfo::Kind::InProcess)
        html += row(tr("Cluster"),
                    tr("%1 — %2").arg(info.source.name, info.source.bootstrap).toHtmlEscaped());
    for (const StatusLine::Listener &l : info.listeners)
        html += row(listenerName(l.protocol),
                    l.problem.isEmpty() ? l.address.toHtmlEscaped()
                                        : tr("%1 — %2").arg(l.address, l.problem).toHtmlEscaped());
    if (info.source.kind == SourceInfo::Kind::InProcess)
        html += row(tr("Data"), info.source.dataPath.isEmpty()
                                    ? tr("in memory: nothing is kept on disk").toHtmlEscaped()
                                    : info.source.dataPath.toHtmlEscaped());
    html += row(tr("Settings"), info.settingsPath.toHtmlEscaped());
    html +=
        row(tr("Documentation"), info.documentation.isEmpty() ? tr("not installed").toHtmlEscaped()
                                                              : info.documentation.toHtmlEscaped());
    html += QStringLiteral("</table><h4>%1</h4><table>").arg(tr("Built with"));
    for (const Library &lib : kLibraries)
        html += row(QString::fromLatin1(lib.name),
                    QStringLiteral("%1 — %2")
                        .arg(QString::fromLatin1(lib.use), QString::fromLatin1(lib.licence))
                        .toHtmlEscaped());
    html += QStringLiteral("</table><p>%1</p>")
                .arg(tr("Qt %1 (built against %2).")
                         .arg(QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR))
                         .toHtmlEscaped());
    m_text->setObjectName(QStringLiteral("aboutText"));
    m_text->setTextFormat(Qt::RichText);
    m_text->setText(html);
    // addresses and paths are there to be copied
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);

    auto *iconLabel = new QLabel(this);
    const QIcon icon = applicationIcon();
    if (!icon.isNull())
        iconLabel->setPixmap(icon.pixmap(64, 64));
    iconLabel->setAlignment(Qt::AlignTop);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *aboutQt = buttons->addButton(tr("About &Qt"), QDialogButtonBox::HelpRole);
    connect(aboutQt, &QPushButton::clicked, this, [this] { QMessageBox::aboutQt(this); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *top = new QHBoxLayout;
    top->addWidget(iconLabel);
    top->addWidget(m_text, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(buttons);
}

QString AboutDialog::text() const
{
    return m_text->text();
}

} // namespace rivulet
