#include "recorddetailpane.h"

#include "displayformat.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QToolButton>
#include <QVBoxLayout>

namespace rivulet {

RecordDetailPane::RecordDetailPane(QWidget *parent)
    : QWidget(parent), m_summary(new QLabel(this)), m_meta(new QLabel(this)),
      m_view(new QComboBox(this)), m_problem(new QLabel(this)), m_value(new QPlainTextEdit(this)),
      m_republish(new QToolButton(this))
{
    m_view->addItem(tr("Auto"), int(valueformat::View::Auto));
    m_view->addItem(tr("Text"), int(valueformat::View::Text));
    m_view->addItem(tr("JSON"), int(valueformat::View::Json));
    m_view->addItem(tr("Hex"), int(valueformat::View::Hex));
    m_view->setToolTip(tr("Auto: pretty-printed JSON when the value parses, text when it is "
                          "UTF-8, hex otherwise"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_meta->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_meta->setWordWrap(true);
    m_problem->setEnabled(false); // the palette's quiet colour
    m_value->setReadOnly(true);
    m_value->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_value->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_value->setPlaceholderText(tr("Select a message to see it in full"));
    auto *copy = new QToolButton(this);
    copy->setText(tr("Copy value"));
    copy->setAutoRaise(true);
    m_republish->setText(tr("Re-publish…"));
    m_republish->setToolTip(tr("Send this message again, to this or another topic, after "
                               "editing it if you like"));
    m_republish->setAutoRaise(true);
    connect(m_republish, &QToolButton::clicked, this, &RecordDetailPane::republishRequested);

    auto *top = new QHBoxLayout;
    top->addWidget(m_summary, 1);
    top->addWidget(m_problem);
    top->addWidget(m_view);
    top->addWidget(copy);
    top->addWidget(m_republish);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_meta);
    layout->addWidget(m_value, 1);

    connect(m_view, &QComboBox::currentIndexChanged, this, &RecordDetailPane::render);
    connect(copy, &QToolButton::clicked, this, [this] {
        if (m_record)
            QApplication::clipboard()->setText(QString::fromUtf8(m_record->value));
    });
    setRecord(nullptr);
}

void RecordDetailPane::setTopic(const QString &topic)
{
    m_topic = topic;
}

void RecordDetailPane::setRecord(const DecodedRecord *record)
{
    if (record)
        m_record = *record;
    else
        m_record.reset();
    render();
}

void RecordDetailPane::render()
{
    if (!m_record) {
        m_summary->setText(tr("No message selected"));
        m_meta->clear();
        m_meta->hide();
        m_problem->clear();
        m_value->clear();
        m_republish->setEnabled(false);
        return;
    }
    const DecodedRecord &r = *m_record;
    m_republish->setEnabled(true);
    m_summary->setText(
        tr("<b>%1[%2] offset %3</b> · %4 · %5")
            .arg(m_topic.toHtmlEscaped())
            .arg(r.partition)
            .arg(display::count(r.offset))
            .arg(QDateTime::fromMSecsSinceEpoch(r.timestamp).toString(Qt::ISODateWithMs))
            .arg(!r.hasValue ? tr("null value (a tombstone)")
                 : r.valueTruncated()
                     ? tr("value %1, first %2 shown")
                           .arg(display::bytes(r.valueSize), display::bytes(r.value.size()))
                     : tr("value %1").arg(display::bytes(r.valueSize))));
    QStringList meta;
    meta << (r.hasKey ? tr("<b>Key:</b> %1").arg(valueformat::preview(r.key, 200).toHtmlEscaped())
                      : tr("<b>Key:</b> <i>none</i>"));
    for (const DecodedHeader &h : r.headers)
        meta << tr("<b>%1:</b> %2")
                    .arg(QString::fromUtf8(h.name).toHtmlEscaped(),
                         h.hasValue ? valueformat::preview(h.value, 200).toHtmlEscaped()
                                    : tr("<i>null</i>"));
    m_meta->setText(meta.join(QStringLiteral(" &nbsp;·&nbsp; ")));
    m_meta->show();

    const auto requested = valueformat::View(m_view->currentData().toInt());
    const valueformat::Rendered rendered = valueformat::render(r.value, requested);
    m_shown = rendered.view;
    m_problem->setText(rendered.problem);
    m_value->setPlainText(rendered.text);
}

} // namespace rivulet
